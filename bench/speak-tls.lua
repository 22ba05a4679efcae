-- POST /speak to the provider served over TLS (openai in the bench's
-- generated configuration), and the baseline's POST
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"text":"Hello from the waav benchmark","tts_config":{"provider":"openai"}}'
