-- getnonce with a client_id nobody knows, a new one for each request (200 connections: see measure notes)
counter = 0
init = function(args)
  math.randomseed(math.floor(os.clock() * 1000000) + os.time())
end
request = function()
  counter = counter + 1
  local body = "action=getnonce&client_id=unknown-" .. math.random(1, 1000000000) .. "&timestamp=" .. os.time() ..
    "&signature=0000000000000000000000000000000000000000000000000000000000000000"
  return wrk.format("POST", "/v2/signature", {["Content-Type"] = "application/x-www-form-urlencoded"}, body)
end
