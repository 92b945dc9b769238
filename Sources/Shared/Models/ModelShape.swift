// The shape of a student model and the layout of its flat parameter buffer.
//
// All parameters of a model live in one flat array; each tensor is a row-major
// view at an offset. The optimizer is therefore one loop, a checkpoint one copy.
//
//   ReLU RNN (rnn, urnn, crnn), hidden n, inputs p, outputs q:
//     W [n, n]   recurrent weights        h(k) = relu(W h(k-1) + F x(k) + b)
//     F [n, p]   input weights            y(k) = C h(k) + c
//     b [n]      state bias
//     C [q, n]   readout
//     c [q]      readout bias
//   LSTM (gate order i, f, g, o as in Keras; rows gate*n + unit):
//     Wx [4n, p], Wh [4n, n], b [4n], C [q, n], c [q]
//     z = Wx x(k) + Wh h(k-1) + b;  i, f, o = sigmoid(z_i, z_f, z_o);  g = tanh(z_g)
//     c(k) = f c(k-1) + i g;  h(k) = o tanh(c(k));  y(k) = C h(k) + c

/// One named tensor inside the flat parameter buffer.
public struct TensorSlot: Sendable, Hashable {
    public var name: String
    public var rows: Int
    public var cols: Int
    public var offset: Int
    public var count: Int { rows * cols }
    public var range: Range<Int> { offset..<(offset + count) }
}

/// Which recurrence a student uses. URNN and contractive RNN share the ReLU RNN's
/// recurrence; they differ only in the constraint applied after each optimizer step.
public enum Cell: String, Sendable, Hashable {
    case relu, lstm
}

public struct ModelShape: Sendable, Hashable {
    public var cell: Cell
    public var hidden: Int
    public var inputs: Int
    public var outputs: Int

    public init(cell: Cell, hidden: Int, inputs: Int, outputs: Int) {
        self.cell = cell; self.hidden = hidden; self.inputs = inputs; self.outputs = outputs
    }

    /// The tensors in buffer order.
    public var slots: [TensorSlot] {
        let n = hidden, p = inputs, q = outputs
        let dims: [(String, Int, Int)]
        switch cell {
        case .relu: dims = [("W", n, n), ("F", n, p), ("b", n, 1), ("C", q, n), ("c", q, 1)]
        case .lstm: dims = [("Wx", 4 * n, p), ("Wh", 4 * n, n), ("b", 4 * n, 1), ("C", q, n), ("c", q, 1)]
        }
        var offset = 0
        return dims.map { name, r, c in
            defer { offset += r * c }
            return TensorSlot(name: name, rows: r, cols: c, offset: offset)
        }
    }

    public func slot(_ name: String) -> TensorSlot {
        guard let s = slots.first(where: { $0.name == name }) else { preconditionFailure("no tensor \(name) in \(cell)") }
        return s
    }

    public var parameterCount: Int { slots.reduce(0) { $0 + $1.count } }

    /// Multiply-adds of one forward step of one sequence (the benchmark's FLOP basis).
    public var forwardMACsPerStep: Int {
        switch cell {
        case .relu: return hidden * hidden + hidden * inputs + outputs * hidden
        case .lstm: return 4 * hidden * (hidden + inputs) + outputs * hidden
        }
    }
}
