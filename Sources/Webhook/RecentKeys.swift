// A set of the last `capacity` keys inserted: memory stays bounded however many pods come by.
struct RecentKeys {
    private var members: Set<String> = []
    private var order: [String] = []
    private var next = 0
    let capacity: Int

    init(capacity: Int) {
        self.capacity = max(1, capacity)
        members.reserveCapacity(self.capacity)
    }

    /// Adds `key`; false if it is among the last `capacity` inserted. The oldest is forgotten.
    mutating func insert(_ key: String) -> Bool {
        guard !members.contains(key) else { return false }
        if order.count < capacity {
            order.append(key)
        } else {
            members.remove(order[next])
            order[next] = key
            next = (next + 1) % capacity
        }
        members.insert(key)
        return true
    }
}
