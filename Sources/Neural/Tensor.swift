/// A dense Float32 array with a shape, row-major (the last axis varies fastest).
public struct Tensor: Sendable, Equatable {
    /// Sizes of the axes.
    public var shape: [Int]
    /// The values, row-major; `shape.reduce(1, *)` of them.
    public var values: [Float]

    /// A tensor of `shape` holding `values`.
    public init(shape: [Int], values: [Float]) {
        precondition(shape.reduce(1, *) == values.count, "shape \(shape) does not hold \(values.count) values")
        self.shape = shape
        self.values = values
    }

    /// A tensor of `shape` filled with `value`.
    public init(shape: [Int], repeating value: Float = 0) {
        self.init(shape: shape, values: Array(repeating: value, count: shape.reduce(1, *)))
    }

    /// Number of values.
    public var count: Int { values.count }

    /// Rows and columns of a two-dimensional tensor.
    public var rows: Int { shape[0] }
    public var columns: Int { shape[1] }

    /// The transpose of a two-dimensional tensor.
    public func transposed() -> Tensor {
        precondition(shape.count == 2)
        let (rows, columns) = (shape[0], shape[1])
        var out = [Float](repeating: 0, count: count)
        values.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                for row in 0..<rows {
                    for column in 0..<columns { target[column * rows + row] = source[row * columns + column] }
                }
            }
        }
        return Tensor(shape: [columns, rows], values: out)
    }
}
