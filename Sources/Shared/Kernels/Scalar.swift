// Scalars the reference kernels are generic over: Float (training) and Double
// (gradient checks against central differences on the very same code path).

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A binary floating-point type with the few elementary functions the models need.
public protocol TrainScalar: BinaryFloatingPoint, Sendable {
    static func exp(_ x: Self) -> Self
    static func tanh(_ x: Self) -> Self
}

extension TrainScalar {
    /// The logistic function 1 / (1 + e^-x).
    @inlinable public static func sigmoid(_ x: Self) -> Self { 1 / (1 + exp(-x)) }
}

@usableFromInline func _expf(_ x: Float) -> Float { expf(x) }
@usableFromInline func _tanhf(_ x: Float) -> Float { tanhf(x) }
@usableFromInline func _expd(_ x: Double) -> Double { exp(x) }
@usableFromInline func _tanhd(_ x: Double) -> Double { tanh(x) }

extension Float: TrainScalar {
    @inlinable public static func exp(_ x: Float) -> Float { _expf(x) }
    @inlinable public static func tanh(_ x: Float) -> Float { _tanhf(x) }
}

extension Double: TrainScalar {
    @inlinable public static func exp(_ x: Double) -> Double { _expd(x) }
    @inlinable public static func tanh(_ x: Double) -> Double { _tanhd(x) }
}
