-- wrk script for the memory soak: four case-list reads for every intake, with a bearer token.
local token = os.getenv("BENCH_TOKEN")
local body = os.getenv("BENCH_BODY")
local n = 0
request = function()
  n = n + 1
  local headers = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }
  if n % 5 == 0 then
    return wrk.format("POST", "/api/v1/cases", headers, body)
  end
  return wrk.format("GET", "/api/v1/cases?limit=20", headers, nil)
end
