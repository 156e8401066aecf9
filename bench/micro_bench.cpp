// Micro-benchmarks: the stream decoders (bytes/s) and manifest parse + validate + plan for
// 10, 100 and 1,000 resources (how the cost grows). Run: build/release/bench/ls_bench_micro
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "engine/frame_decoder.hpp"
#include "engine/ndjson.hpp"
#include "lightshuttle/core/rng.hpp"
#include "lightshuttle/lifecycle/plan.hpp"
#include "lightshuttle/manifest/loader.hpp"
#include "lightshuttle/spec/resolve.hpp"

namespace {

std::string frames(std::size_t count, std::size_t payload) {
  std::string out;
  const std::string body(payload, 'x');
  for (std::size_t i = 0; i < count; ++i) {
    const auto n = static_cast<std::uint32_t>(payload);
    out.push_back(static_cast<char>(i % 2 == 0 ? 1 : 2));
    out.append(3, '\0');
    out.push_back(static_cast<char>(n >> 24));
    out.push_back(static_cast<char>(n >> 16));
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n));
    out += body;
  }
  return out;
}

void BM_FrameDecoder(benchmark::State& state) {
  const std::string input = frames(4096, static_cast<std::size_t>(state.range(0)));
  std::vector<ls::engine::Frame> out;
  for (auto _ : state) {
    ls::engine::FrameDecoder d(ls::engine::FrameDecoder::Mode::Multiplexed);
    out.clear();
    for (std::size_t i = 0; i < input.size(); i += 65536) {
      (void)d.feed(std::string_view(input).substr(i, 65536), out);
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * input.size()));
}
BENCHMARK(BM_FrameDecoder)->Arg(80)->Arg(1024)->Arg(16384);

void BM_NdjsonDecoder(benchmark::State& state) {
  std::string input;
  for (int i = 0; i < 20000; ++i) {
    input += R"({"status":"Downloading","progressDetail":{"current":)" + std::to_string(i * 1000) +
             R"(,"total":31457280},"progress":"[=>    ]","id":"a1b2c3d4e5f6"})"
             "\r\n";
  }
  std::vector<boost::json::value> out;
  for (auto _ : state) {
    ls::engine::NdjsonDecoder d;
    out.clear();
    for (std::size_t i = 0; i < input.size(); i += 65536) {
      (void)d.feed(std::string_view(input).substr(i, 65536), out);
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * input.size()));
}
BENCHMARK(BM_NdjsonDecoder);

// Framing and validation only (what every stream pays); values are built on demand.
void BM_NdjsonSplitter(benchmark::State& state) {
  std::string input;
  for (int i = 0; i < 20000; ++i) {
    input += R"({"status":"Downloading","progressDetail":{"current":)" + std::to_string(i * 1000) +
             R"(,"total":31457280},"progress":"[=>    ]","id":"a1b2c3d4e5f6"})"
             "\r\n";
  }
  std::vector<std::string_view> out;
  for (auto _ : state) {
    ls::engine::NdjsonSplitter s;
    std::size_t messages = 0;
    for (std::size_t i = 0; i < input.size(); i += 65536) {
      out.clear();
      (void)s.feed(std::string_view(input).substr(i, 65536), out);
      messages += out.size();
    }
    benchmark::DoNotOptimize(messages);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * input.size()));
}
BENCHMARK(BM_NdjsonSplitter);

std::string manifestWith(int n) {
  std::string m = "lightshuttle: v0\nproject:\n  name: bench\nresources:\n";
  for (int i = 0; i < n; ++i) {
    m +=
        "  r" + std::to_string(i) + ":\n    container:\n      image: lightshuttle-test/busybox:1\n";
    m += "      command: [sleep, '3600']\n      env:\n        INDEX: '" + std::to_string(i) + "'\n";
    if (i > 0) {
      m += "        PREV: ${resources.r" + std::to_string(i - 1) + ".host}\n";
    }
    m += "      healthcheck:\n        test: [CMD, 'true']\n        interval: 1s\n";
  }
  return m;
}

void BM_ManifestParseValidate(benchmark::State& state) {
  const std::string text = manifestWith(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    auto report = ls::manifest::parseManifest(text, "bench.yml", "/tmp");
    if (!report.ok()) {
      state.SkipWithError("manifest invalid");
      break;
    }
    benchmark::DoNotOptimize(report.manifest->resources.data());
  }
  state.SetComplexityN(state.range(0));
}
BENCHMARK(BM_ManifestParseValidate)
    ->Arg(10)
    ->Arg(100)
    ->Arg(1000)
    ->Complexity()
    ->Unit(benchmark::kMillisecond);

void BM_ResolveAndPlan(benchmark::State& state) {
  const std::string text = manifestWith(static_cast<int>(state.range(0)));
  auto report = ls::manifest::parseManifest(text, "bench.yml", "/tmp");
  if (!report.ok()) {
    state.SkipWithError("manifest invalid");
    return;
  }
  ls::SeededRng rng(1);
  for (auto _ : state) {
    auto store = ls::spec::SecretStore::inMemory();
    ls::spec::ResolveContext ctx{.secrets = &store, .rng = &rng};
    auto stack = ls::spec::resolveStack(*report.manifest, ctx);
    if (!stack) {
      state.SkipWithError("resolve failed");
      break;
    }
    auto plan = ls::lifecycle::Plan::fromResolved(*report.manifest, std::move(stack).value());
    benchmark::DoNotOptimize(plan);
  }
  state.SetComplexityN(state.range(0));
}
BENCHMARK(BM_ResolveAndPlan)
    ->Arg(10)
    ->Arg(100)
    ->Arg(1000)
    ->Complexity()
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
