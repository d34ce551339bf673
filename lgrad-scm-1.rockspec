rockspec_format = "3.0"
package = "lgrad"
version = "scm-1"
source = {
  url = "git+https://github.com/lgrad/lgrad.git",
}
description = {
  homepage = "https://github.com/lgrad/lgrad",
  summary = "Float tensors, activations, softmax and cross-entropy with their gradients",
  detailed = [[
lgrad gives Lua float32/float64 tensors and the math at the top of a
classifier: activation functions, softmax and its relatives,
cross-entropy and its gradient p - y, and tools that check a derivation
numerically. No dependencies beyond a C compiler.
]],
  license = "MIT",
}
dependencies = {
  "lua >= 5.1",
}
build = {
  type = "builtin",
  modules = {
    ["lgrad.core"] = {
      sources = {
        "src/lua_core.c", "src/lua_tensor.c", "src/lua_ops.c",
        "src/lua_act.c", "src/tensor.c", "src/rng.c",
        "src/lua_softmax.c", "src/lua_loss.c",
        "src/kernels/activation.c", "src/kernels/softmax.c", "src/kernels/loss.c",
        "src/kernels/vfast.c", "src/kernels/vfast_portable.c", "src/kernels/vfast_avx2.c",
        "src/kernels/vfast_avx512.c",
        "src/lua_api.c", "src/lgrad_kernels.c",
        "src/pool.c", "src/lua_threads.c", "src/lua_npy.c", "src/npy.c",
      },
      incdirs = { "src" },
    },
    ["lgrad"] = "lua/lgrad/init.lua",
    ["lgrad.plot"] = "lua/lgrad/plot.lua",
    ["lgrad.check"] = "lua/lgrad/check.lua",
    ["lgrad.autograd"] = "lua/lgrad/autograd.lua",
    ["lgrad.optim"] = "lua/lgrad/optim.lua",
    ["lgrad.busted"] = "lua/lgrad/busted.lua",
    ["lgrad.raise"] = "lua/lgrad/raise.lua",
  },
  -- lg.set_num_threads' worker threads (src/pool.c): POSIX threads on Unix
  -- (macOS included); on Windows (MinGW) Win32's own, no library needed.
  platforms = {
    unix = { modules = { ["lgrad.core"] = { libraries = { "pthread" } } } },
  },
  -- The C API headers for host programs (README.md, "Embedding"): they land in
  -- the rock's conf dir, `$(luarocks show --rock-dir lgrad)/conf`.
  install = {
    conf = { "src/lgrad.h", "src/lgrad_kernels.h" },
  },
}
-- The suite runs through the busted on PATH (Debian's lua-busted), so
-- `luarocks test` works offline; tools/luarocks_test.lua says what is missing.
test = {
  type = "command",
  script = "tools/luarocks_test.lua",
}
