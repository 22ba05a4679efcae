-- GET with X-Key: one of 1000 tenants at random (a limit per key)
math.randomseed(os.time())
request = function()
    return wrk.format("GET", nil, { ["X-Key"] = tostring(math.random(1000)) })
end
