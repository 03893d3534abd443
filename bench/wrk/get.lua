-- Asks for the URL on the command line again and again, signed in.
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
