rockspec_format = "3.0"
package = "lgrad"
version = "0.1.0-1"
-- The release tarball (GitHub's archive of tag v0.1.0, top folder
-- lgrad-0.1.0). .ci/run packs and installs this rockspec offline from a
-- `git archive` of the checkout in that same layout.
source = {
  url = "https://github.com/lgrad/lgrad/archive/refs/tags/v0.1.0.tar.gz",
  dir = "lgrad-0.1.0",
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
        "src/core/npy.c", "src/core/pool.c", "src/core/rng.c", "src/core/storage.c",
        "src/core/tensor.c",
        "src/kernels/activation.c", "src/kernels/loss.c", "src/kernels/softmax.c",
        "src/simd/dispatch.c", "src/simd/level_avx2.c", "src/simd/level_avx512.c",
        "src/simd/level_neon.c", "src/simd/level_portable.c",
        "src/lua/lua_act.c", "src/lua/lua_api.c", "src/lua/lua_args.c", "src/lua/lua_core.c",
        "src/lua/lua_loss.c", "src/lua/lua_npy.c", "src/lua/lua_ops.c", "src/lua/lua_softmax.c",
        "src/lua/lua_storage.c", "src/lua/lua_tensor.c", "src/lua/lua_threads.c",
        "src/lgrad_kernels.c",
      },
      incdirs = { "src" },
    },
    ["lgrad"] = "lua/lgrad/init.lua",
    ["lgrad.plot"] = "lua/lgrad/plot/init.lua",
    ["lgrad.plot.util"] = "lua/lgrad/plot/util.lua",
    ["lgrad.plot.svg"] = "lua/lgrad/plot/svg.lua",
    ["lgrad.plot.charts"] = "lua/lgrad/plot/charts.lua",
    ["lgrad.plot.text"] = "lua/lgrad/plot/text.lua",
    ["lgrad.check"] = "lua/lgrad/check.lua",
    ["lgrad.autograd"] = "lua/lgrad/autograd.lua",
    ["lgrad.optim"] = "lua/lgrad/optim.lua",
    ["lgrad.busted"] = "lua/lgrad/busted.lua",
    ["lgrad.raise"] = "lua/lgrad/raise.lua",
  },
  -- lg.set_num_threads' worker threads (src/core/pool.c): POSIX threads on Unix
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
