-- Ids of the synthetic benchmark world (core/src/generate/synthetic.rs):
-- a u128 of (kind << 120) | (a << 64) | (b << 32) | c, as a UUID.
local M = {}
function M.uuid(kind, a, b, c)
  local hex = string.format("%02x%014x%08x%08x", kind, a, b, c)
  return hex:sub(1, 8) .. "-" .. hex:sub(9, 12) .. "-" .. hex:sub(13, 16) .. "-" .. hex:sub(17, 20) .. "-" .. hex:sub(21, 32)
end
function M.user(e, u) return M.uuid(2, e, u, 0) end
function M.document(e, o, k) return M.uuid(4, e, o, k) end
return M
