-- wrk script: POST one case per request with a bearer token (BENCH_TOKEN, may be empty for the
-- ceiling). The body is the same for Huiying and the ceiling.
local token = os.getenv("BENCH_TOKEN") or ""
wrk.method = "POST"
wrk.path = "/api/v1/cases"
wrk.headers["Content-Type"] = "application/json"
if token ~= "" then wrk.headers["Authorization"] = "Bearer " .. token end
wrk.body = os.getenv("BENCH_BODY")
