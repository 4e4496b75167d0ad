-- A small LuaJIT benchmark mix (issue 10): hot loops the JIT compiles to SSE2 machine code
-- (float arithmetic, integer bit ops, table and string work, closures), so running it
-- under the engine exercises self-modifying code: LuaJIT writes traces into mcode areas
-- and patches exits as it goes. Every result is printed so a wrong translation shows.
-- Run with and without -joff; output must equal the native run's.

local fmt = string.format
-- Work scale (argument 1, default 1): the -joff run takes half, as the interpreter is slower.
local S = tonumber(arg and arg[1]) or 1

-- n-body (the Computer Language Benchmarks Game's algorithm), 5k steps: doubles, sqrt.
local function nbody(n)
  local PI, DAYS = math.pi, 365.24
  local SOLAR = 4 * PI * PI
  local bodies = {
    { 0, 0, 0, 0, 0, 0, SOLAR },
    { 4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01,
      1.66007664274403694e-03 * DAYS, 7.69901118419740425e-03 * DAYS, -6.90460016972063023e-05 * DAYS, 9.54791938424326609e-04 * SOLAR },
    { 8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01,
      -2.76742510726862411e-03 * DAYS, 4.99852801234917238e-03 * DAYS, 2.30417297573763929e-05 * DAYS, 2.85885980666130812e-04 * SOLAR },
    { 1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01,
      2.96460137564761618e-03 * DAYS, 2.37847173959480950e-03 * DAYS, -2.96589568540237556e-05 * DAYS, 4.36624404335156298e-05 * SOLAR },
    { 1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01,
      2.68067772490389322e-03 * DAYS, 1.62824170038242295e-03 * DAYS, -9.51592254519715870e-05 * DAYS, 5.15138902046611451e-05 * SOLAR },
  }
  local nb = #bodies
  local px, py, pz = 0, 0, 0
  for i = 1, nb do local b = bodies[i]; px = px + b[4] * b[7]; py = py + b[5] * b[7]; pz = pz + b[6] * b[7] end
  bodies[1][4], bodies[1][5], bodies[1][6] = -px / SOLAR, -py / SOLAR, -pz / SOLAR
  local function energy()
    local e = 0
    for i = 1, nb do
      local b = bodies[i]
      e = e + 0.5 * b[7] * (b[4] * b[4] + b[5] * b[5] + b[6] * b[6])
      for j = i + 1, nb do
        local c = bodies[j]
        local dx, dy, dz = b[1] - c[1], b[2] - c[2], b[3] - c[3]
        e = e - b[7] * c[7] / math.sqrt(dx * dx + dy * dy + dz * dz)
      end
    end
    return e
  end
  local e0 = energy()
  for _ = 1, n do
    for i = 1, nb do
      local b = bodies[i]
      for j = i + 1, nb do
        local c = bodies[j]
        local dx, dy, dz = b[1] - c[1], b[2] - c[2], b[3] - c[3]
        local d2 = dx * dx + dy * dy + dz * dz
        local mag = 0.01 / (d2 * math.sqrt(d2))
        local bm, cm = b[7] * mag, c[7] * mag
        b[4], b[5], b[6] = b[4] - dx * cm, b[5] - dy * cm, b[6] - dz * cm
        c[4], c[5], c[6] = c[4] + dx * bm, c[5] + dy * bm, c[6] + dz * bm
      end
    end
    for i = 1, nb do
      local b = bodies[i]
      b[1], b[2], b[3] = b[1] + 0.01 * b[4], b[2] + 0.01 * b[5], b[3] + 0.01 * b[6]
    end
  end
  return e0, energy()
end
print(fmt('nbody      %.17g %.17g', nbody(5000 * S)))

-- fannkuch-redux, n = 7: integer arrays, permutations.
local function fannkuch(n)
  local perm, perm1, count = {}, {}, {}
  local maxflips, checksum, r, nperm = 0, 0, n, 0
  for i = 0, n - 1 do perm1[i] = i end
  while true do
    while r ~= 1 do count[r - 1] = r; r = r - 1 end
    for i = 0, n - 1 do perm[i] = perm1[i] end
    local flips = 0
    local k = perm[0]
    while k ~= 0 do
      local i, j = 0, k
      while i < j do perm[i], perm[j] = perm[j], perm[i]; i = i + 1; j = j - 1 end
      flips = flips + 1
      k = perm[0]
    end
    if flips > maxflips then maxflips = flips end
    checksum = checksum + (nperm % 2 == 0 and flips or -flips)
    while true do
      if r == n then return checksum, maxflips end
      local p0 = perm1[0]
      for i = 0, r - 1 do perm1[i] = perm1[i + 1] end
      perm1[r] = p0
      count[r] = count[r] - 1
      if count[r] > 0 then break end
      r = r + 1
    end
    nperm = nperm + 1
  end
end
print(fmt('fannkuch   %d %d', fannkuch(7)))

-- spectral norm, n = 64: the float inner loop LuaJIT turns into scalar SSE2.
local function spectral(n)
  local function A(i, j) local ij = i + j - 1; return 1.0 / (ij * (ij - 1) * 0.5 + i) end
  local function Av(x, y, N) for i = 1, N do local a = 0; for j = 1, N do a = a + x[j] * A(i, j) end; y[i] = a end end
  local function Atv(x, y, N) for i = 1, N do local a = 0; for j = 1, N do a = a + x[j] * A(j, i) end; y[i] = a end end
  local function AtAv(x, y, t, N) Av(x, t, N); Atv(t, y, N) end
  local u, v, t = {}, {}, {}
  for i = 1, n do u[i] = 1 end
  for _ = 1, 10 do AtAv(u, v, t, n); AtAv(v, u, t, n) end
  local vBv, vv = 0, 0
  for i = 1, n do local ui, vi = u[i], v[i]; vBv = vBv + ui * vi; vv = vv + vi * vi end
  return math.sqrt(vBv / vv)
end
print(fmt('spectral   %.17g', spectral(64)))

-- Integer and bit operations (the bit library; LuaJIT keeps them in registers).
local function bits(n)
  local band, bxor, rol, tobit = bit.band, bit.bxor, bit.rol, bit.tobit
  local h = 0x811c9dc5
  for i = 1, n do h = tobit(bxor(rol(h, 5), i) * 16777619); h = band(h, 0x7fffffff) end
  return bit.tohex(h)
end
print('bits       ' .. bits(500000 * S))

-- Strings and tables: building, sorting, concatenation, pattern matching.
local function strings(n)
  local words = {}
  local x = 12345
  for i = 1, n do
    x = (x * 1103515245 + 12345) % 2147483648
    words[i] = fmt('w%05d', math.floor(x / 65536) % 100000)
  end
  table.sort(words)
  local joined = table.concat(words, ',', 1, 20)
  local count = 0
  for w in table.concat(words, ' '):gmatch('w0%d*7 ') do count = count + 1 end
  return joined, count, #table.concat(words)
end
print(fmt('strings    %s %d %d', strings(5000 * S)))

-- Closures and varargs; float formatting of awkward values.
local function closures(n)
  local acc = 0
  local function mk(k) return function(...) local s = k; for i = 1, select('#', ...) do s = s + select(i, ...) end; return s end end
  for i = 1, n do acc = acc + mk(i % 7)(i, 0.5, -1) end
  return acc
end
print(fmt('closures   %.17g', closures(50000 * S)))
print(fmt('floats     %.17g %.17g %.17g %s %s', 0.1 + 0.2, 1e308 * 10 / 1e308, math.floor(-2.5), tostring(0 / 0 ~= 0 / 0), tostring(-0.0)))
print(fmt('math       %.17g %.17g %.17g %.17g', math.sin(1e6), math.exp(0.5), math.log(10), math.fmod(7.5, 2)))
