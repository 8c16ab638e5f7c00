// Halide pipelines that would fail every run are refused at compile time.
#include "backend/doomed.h"
#include "backend/temp_dir.h"

#include <Halide.h>
#include <catch2/catch.hpp>

using namespace cnnc;

namespace {

// f(x) = in(x + shift) over [0, 8), with `in` declared to cover [0, 8).
void compile(int shift) {
  Halide::ImageParam in(Halide::Float(32), 1, "in");
  in.dim(0).set_bounds(0, 8);
  Halide::Var x("x");
  Halide::Func f("f");
  f(x) = in(x + shift);
  f.output_buffer().dim(0).set_bounds(0, 8);
  TempDir tmp;
  compileOrThrowIfDoomed([&] {
    f.compile_to_lowered_stmt(tmp.path + "/f.stmt", {in}, Halide::StmtOutputFormat::Text);
  });
}

} // namespace

TEST_CASE("a pipeline that reads outside a buffer of fixed bounds is refused") {
  CHECK_NOTHROW(compile(0));
  CHECK_THROWS_WITH(compile(-1),
                    Catch::Contains("guaranteed to fail") && Catch::Contains("schedule"));
  CHECK_NOTHROW(compile(0)); // the reporter is restored
}
