# Native kernel addon for poet (N-API via node-addon-api). Built by scripts/build-native.mjs at `npm ci`.
# The whole file is compiled for baseline x86-64; AVX2/FMA kernels carry per-function target attributes
# and are picked at run time (__builtin_cpu_supports), so the binary runs on any x86-64.
{
  "targets": [
    {
      "target_name": "poet_native",
      "sources": [
        "src/addon.cc",
        "src/thread_pool.cc",
        "src/cpu.cc",
        "src/gemm.cc",
        "src/attention.cc",
        "src/nn_kernels.cc",
        "src/optim_kernels.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions", "-O2", "-O0"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++20", "-O2", "-O0"],
      "cflags": ["-O3", "-fno-math-errno", "-fno-trapping-math"],
      "cflags_cc": ["-O3", "-std=c++17", "-fexceptions", "-fno-math-errno", "-fno-trapping-math", "-Wall", "-Wno-unused-function"],
      "ldflags": ["-pthread"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "OTHER_CFLAGS": ["-O3"]
      }
    }
  ]
}
