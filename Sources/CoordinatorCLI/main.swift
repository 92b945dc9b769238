import Coordinator

// `urnn-coordinator`: everything is in the Coordinator library (Sources/Coordinator).
CoordinatorCommand.main()
