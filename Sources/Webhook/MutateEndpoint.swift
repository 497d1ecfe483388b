// POST /mutate: what the apiserver calls for every pod created. The decision is Decision's; here it
// is timed, counted and logged, and a decision that fails lets the pod through unchanged.
import Admission
import HTTPServer
import Policy
import Posix

extension WebhookHandler {
    func mutate(_ request: HTTPRequest) -> HTTPResponse {
        let start = clock.nanos()
        func seconds() -> Double { Double(clock.nanos() &- start) / 1e9 }
        let snapshot = policies.current
        return answer(request, as: .mutate) { review in
            let outcome: ReviewOutcome
            do { outcome = try Decision.decide(review, policy: snapshot.policy, readName: logger.minimum <= .debug) } catch let error as AdmissionError {
                throw error
            } catch {
                // Could not decide: let the pod through unchanged, and say so everywhere.
                var response = AdmissionResponse(uid: review.uid)
                response.warnings = ["\(Decision.warningPrefix)internal error, pod admitted unchanged: \(error)"]
                metrics.admission(seconds: seconds(), applied: [], warnings: 1)
                logger.error("admission failed; pod admitted unchanged", ["uid": review.uid, "namespace": review.namespace ?? "", "error": "\(error)"])
                return (response, nil, .internalError)
            }
            let elapsed = seconds()
            let applied = outcome.mutation?.applied ?? []
            metrics.admission(seconds: elapsed, applied: applied, warnings: outcome.response.warnings.count,
                              placed: Self.placement(outcome.mutation, policy: snapshot.policy), fallbacks: outcome.mutation?.fallbacks ?? [])
            let result: Metrics.Outcome = outcome.mutation?.isSparkPod != true ? .skipped : outcome.response.patch.isEmpty ? .unchanged : .mutated
            // One line per admission at debug only: the apiserver's audit log already records each
            // decision through auditAnnotations, and a line per pod costs a write on the hot path.
            // Warnings are always logged.
            let level: Logger.Level = outcome.response.warnings.isEmpty ? .debug : .warning
            if level >= logger.minimum { logger.log(level, "admission", [
                "uid": review.uid, "namespace": review.namespace ?? "", "name": outcome.name ?? "",
                "outcome": result.rawValue, "rules": outcome.mutation?.appliedSummary ?? "",
                "warnings": outcome.response.warnings.joined(separator: "; "), "dryRun": "\(review.dryRun)",
                "micros": "\(Int(elapsed * 1_000_000))", "generation": "\(snapshot.generation)",
            ]) }
            return (outcome.response, nil, result)
        }
    }

    /// A Spark pod's role and priority class for the per-class counts; a class no rule sets is
    /// `other`, so the label set stays what the policy makes it.
    static func placement(_ mutation: Mutation?, policy: PolicySet) -> (role: String, priorityClass: String)? {
        guard let mutation, mutation.isSparkPod, let role = mutation.pod["metadata", "labels", "spark-role"]?.stringValue else { return nil }
        let cls = mutation.pod["spec", "priorityClassName"]?.stringValue
        return (role, cls.map { policy.priorityClasses.contains($0) ? $0 : "other" } ?? "none")
    }

}
