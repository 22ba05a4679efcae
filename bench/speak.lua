-- POST /speak (and the baseline's POST) with a WaaV body
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"text":"Hello from the waav benchmark","tts_config":{"provider":"deepgram"}}'
