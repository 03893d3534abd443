-- Creates an incident with two victims, signed in: the write path, validated and audited.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
wrk.body = [[{"mission":"MINUSCA","classification":"unclassified",
"occurred_at":"2026-11-01T08:30:00Z","time_precision":"exact","location_type":"patrol",
"attack_type":"ambush","weapons":["small_arms"],"place_name":"Sector 7",
"summary":"Patrol ambushed on the road north of the base",
"narrative":"A patrol came under fire from two sides; two peacekeepers were hit.",
"victims":[{"personnel_type":"military","nationality":"BGD","gender":"male","outcome":"killed"},
{"personnel_type":"military","nationality":"BGD","gender":"male","outcome":"injured"}],
"sources":[{"source_type":"incident_report","description":"Battalion report","reliability":"B","credibility":2}]}]]
