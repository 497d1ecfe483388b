// Atomic counters side by side, one per slot of a declared enum: `Atomic` cannot be copied into an
// array, a class holding one can. Relaxed increments, no lock: they are counted on every request
// from every loop.
import Synchronization

public struct Counters: Sendable {
    @usableFromInline let slots: [Counter]

    public init(count: Int) { slots = (0..<count).map { _ in Counter() } }

    @inlinable
    public func add(_ slot: Int, _ delta: Int = 1) { slots[slot].value.wrappingAdd(delta, ordering: .relaxed) }

    @inlinable
    public subscript(_ slot: Int) -> Int { slots[slot].value.load(ordering: .relaxed) }
}

@usableFromInline
final class Counter: Sendable {
    @usableFromInline let value = Atomic<Int>(0)
    @usableFromInline init() {}
}
