-- Reads one benchmark incident by id, chosen at random among the BENCH_INCIDENTS loaded.
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
local count = tonumber(os.getenv("BENCH_INCIDENTS"))

function init(args)
    math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
end

function request()
    local id = string.format("00000000-0000-4000-8000-%012x", math.random(0, count - 1))
    return wrk.format("GET", "/api/v1/incidents/" .. id)
end
