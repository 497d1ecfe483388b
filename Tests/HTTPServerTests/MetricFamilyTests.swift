// A metric family renders its HELP, TYPE and series from its one declaration.
@testable import HTTPServer
import XCTest

final class MetricFamilyTests: XCTestCase {
    let family = MetricFamily<[String: Int]>("demo_total", .counter, help: "Demo.", labels: ["name", "kind"]) { counts, out in
        for (name, count) in counts.sorted(by: { $0.key < $1.key }) { out.add([name, "x"], count) }
    }

    func testSeriesTakeTheDeclaredNamesAndLabelsAndQuoteValues() {
        var out = ""
        family.render(["a\"b\\c\nd": 2, "plain": 1], into: &out)
        XCTAssertEqual(out, """
            # HELP demo_total Demo.
            # TYPE demo_total counter
            demo_total{name="a\\"b\\\\c\\nd",kind="x"} 2
            demo_total{name="plain",kind="x"} 1

            """)
    }

    func testAFamilyReadFromALargerPageIsLeftOutWhereItsPartIsMissing() {
        let page = [family.reading { (page: [String: Int]?) in page }]
        XCTAssertEqual(page.render(nil), "")
        XCTAssertEqual(page.render(["a": 1]), "# HELP demo_total Demo.\n# TYPE demo_total counter\ndemo_total{name=\"a\",kind=\"x\"} 1\n")
    }

    func testAHistogramHasCumulativeBucketsThenSumAndCount() {
        let histogram = MetricFamily<Int>("demo_seconds", .histogram, help: "H.") { n, out in
            out.histogram(buckets: [(le: "0.5", cumulative: 1), (le: "+Inf", cumulative: n)], sum: 1.5, count: n)
        }
        var out = ""
        histogram.render(2, into: &out)
        XCTAssertEqual(out, "# HELP demo_seconds H.\n# TYPE demo_seconds histogram\n"
                       + "demo_seconds_bucket{le=\"0.5\"} 1\ndemo_seconds_bucket{le=\"+Inf\"} 2\ndemo_seconds_sum 1.5\ndemo_seconds_count 2\n")
    }
}
