-- POST /listen (and the baseline's POST) with a 64 KiB WAV
local data = string.rep("\0", 65536 - 44)
local function le(v, n)
  local s = ""
  for i = 1, n do s = s .. string.char(v % 256); v = math.floor(v / 256) end
  return s
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "audio/wav"
wrk.body = "RIFF" .. le(36 + #data, 4) .. "WAVEfmt " .. le(16, 4) .. le(1, 2) .. le(1, 2)
           .. le(16000, 4) .. le(32000, 4) .. le(2, 2) .. le(16, 2) .. "data" .. le(#data, 4) .. data
