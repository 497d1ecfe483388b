// When a certificate close to its expiry is warned about, on a fake clock.
@testable import HTTPServer
import XCTest

final class ExpiryWarningTests: XCTestCase {
    let day = 86_400.0

    func testWarnsDailyInTheLastWeekOnly() {
        var warning = ExpiryWarning()
        let notAfter = 100 * day
        XCTAssertFalse(warning.due(now: notAfter - 8 * day, notAfter: notAfter), "more than a week left")
        XCTAssertTrue(warning.due(now: notAfter - 7 * day, notAfter: notAfter), "a week left")
        XCTAssertFalse(warning.due(now: notAfter - 7 * day + 3_600, notAfter: notAfter), "an hour later")
        XCTAssertFalse(warning.due(now: notAfter - 6 * day - 1, notAfter: notAfter), "a second short of a day later")
        XCTAssertTrue(warning.due(now: notAfter - 6 * day, notAfter: notAfter), "a day later")
        XCTAssertTrue(warning.due(now: notAfter + 1 * day, notAfter: notAfter), "expired, still daily")
    }

    func testARenewedCertificateIsWarnedAboutAfresh() {
        var warning = ExpiryWarning()
        XCTAssertTrue(warning.due(now: 0, notAfter: 2 * day))
        XCTAssertFalse(warning.due(now: 60, notAfter: 2 * day))
        XCTAssertTrue(warning.due(now: 120, notAfter: 3 * day), "another certificate, also close to its end")
        XCTAssertFalse(warning.due(now: 180, notAfter: 90 * day), "a renewal far from its end")
    }
}
