/// A binary heap whose top is the element that comes first under `before` (a strict total order, so pops are
/// deterministic whatever the insertion history). Used by the LPT partitioner (least-loaded rank first) and
/// Karmarkar–Karp (largest difference first).
struct BinaryHeap<Element> {
    private var items: [Element] = []
    private let before: (Element, Element) -> Bool

    init(before: @escaping (Element, Element) -> Bool) { self.before = before }

    var count: Int { items.count }
    var isEmpty: Bool { items.isEmpty }

    mutating func push(_ e: Element) {
        items.append(e)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard before(items[i], items[parent]) else { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    /// Removes and returns the top element; the heap must not be empty.
    mutating func pop() -> Element {
        items.swapAt(0, items.count - 1)
        let top = items.removeLast()
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var b = i
            if l < items.count, before(items[l], items[b]) { b = l }
            if r < items.count, before(items[r], items[b]) { b = r }
            if b == i { break }
            items.swapAt(i, b)
            i = b
        }
        return top
    }
}
