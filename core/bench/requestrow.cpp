#include "core/bench/requestrow.h"

#include <algorithm>

namespace sluice {

QJsonObject requestRow(const RequestRecord& r, const RequestMetrics& m, bool warmup,
                       double intendedSeconds, bool sloMet) {
    QJsonObject row{{QStringLiteral("id"), static_cast<double>(r.id)},
                    {QStringLiteral("state"), QString::fromLatin1(stateName(r.state))},
                    {QStringLiteral("outcome"), QString::fromLatin1(outcomeName(r.outcome))},
                    {QStringLiteral("status"), r.status},
                    {QStringLiteral("attempts"), r.attempts},
                    {QStringLiteral("warmup"), warmup},
                    {QStringLiteral("intended_s"), intendedSeconds},
                    {QStringLiteral("queue_ms"), toMillis(m.queueTime)},
                    {QStringLiteral("prompt_tokens"), static_cast<double>(m.promptTokens)},
                    {QStringLiteral("output_tokens"), static_cast<double>(m.outputTokens)},
                    {QStringLiteral("tokens_estimated"), m.tokensEstimated},
                    {QStringLiteral("chunks"), r.chunks},
                    {QStringLiteral("slo_met"), sloMet}};
    auto put = [&row](const char* name, std::optional<Nanos> v) {
        if (v) {
            row.insert(QLatin1String(name), toMillis(*v));
        }
    };
    put("ttfb_ms", m.ttfb);
    put("ttft_ms", m.ttft);
    put("ttst_ms", m.ttst);
    put("e2e_ms", m.e2e);
    put("tpot_decode_ms", m.tpotDecode);
    put("tpot_overall_ms", m.tpotOverall);
    put("service_ms", m.serviceTime);
    put("corrected_ms", m.correctedLatency);
    if (!m.itl.empty()) {
        Nanos sum{0};
        for (const Nanos gap : m.itl) {
            sum += gap;
        }
        row.insert(QStringLiteral("itl_mean_ms"),
                   toMillis(sum) / static_cast<double>(m.itl.size()));
        row.insert(QStringLiteral("itl_max_ms"),
                   toMillis(*std::max_element(m.itl.begin(), m.itl.end())));
    }
    if (!r.reason.isEmpty()) {
        row.insert(QStringLiteral("reason"), r.reason);
    }
    if (r.failure.kind != FailureKind::None) {
        row.insert(QStringLiteral("failure"), r.failure.key());
    }
    return row;
}

} // namespace sluice
