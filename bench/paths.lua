-- paths.lua: wrk script for the pksync benchmarks.
--   wrk -t2 -c64 -d10s -s paths.lua http://127.0.0.1:PORT -- PATHFILE
-- Every request is a GET of a random line of PATHFILE (one path a line).
local paths = {}

function init(args)
	local f = assert(io.open(args[1], "r"), "cannot open " .. tostring(args[1]))
	for line in f:lines() do
		if #line > 0 then
			paths[#paths + 1] = line
		end
	end
	f:close()
	assert(#paths > 0, "no paths in " .. args[1])
	-- one seed per thread: each thread has its own Lua state and table address
	local addr = tostring(paths):match("0x(%x+)") or "0"
	math.randomseed(os.time() + tonumber(addr, 16) % 1000003)
end

function request()
	return wrk.format("GET", paths[math.random(#paths)])
end
