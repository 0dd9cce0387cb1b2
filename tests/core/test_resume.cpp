// Tests of plan_resume and plan_after (resume.h): every boundary of the
// rules of contract section 9, on the arithmetic alone.
#include "core/resume.h"

#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>

using pubsub::core::plan_after;
using pubsub::core::plan_resume;
using pubsub::core::ResumePlan;

namespace {

struct Expect {
  std::size_t first, count;
  bool recovered;
};

void check(const ResumePlan& plan, Expect expect) {
  CHECK(plan.first == expect.first);
  CHECK(plan.count == expect.count);
  CHECK(plan.recovered == expect.recovered);
}

}  // namespace

TEST_CASE("a resume within the history replays exactly what follows since_seq", "[resume]") {
  // Seqs 6..10 retained (5 of them), newest 10.
  check(plan_resume(10, true, 10, 5), {5, 0, true});  // up to date: nothing to replay
  check(plan_resume(9, true, 10, 5), {4, 1, true});
  check(plan_resume(6, true, 10, 5), {1, 4, true});
  check(plan_resume(5, true, 10, 5), {0, 5, true});  // since_seq == first - 1: the oldest retained is next
}

TEST_CASE("a resume from before the oldest retained message replays all and is not recovered", "[resume]") {
  check(plan_resume(4, true, 10, 5), {0, 5, false});  // seq 5 is gone
  check(plan_resume(0, true, 10, 5), {0, 5, false});
}

TEST_CASE("since_seq 0 recovers while the first message is still retained", "[resume]") {
  check(plan_resume(0, true, 3, 3), {0, 3, true});
  check(plan_resume(0, true, 0, 0), {0, 0, true});  // a topic that never had a message
}

TEST_CASE("a since_seq beyond the newest seq, or another epoch, replays nothing and is not recovered", "[resume]") {
  check(plan_resume(11, true, 10, 5), {0, 0, false});
  check(plan_resume(1, true, 0, 0), {0, 0, false});
  const std::uint64_t since = GENERATE(0u, 5u, 9u, 10u);
  check(plan_resume(since, false, 10, 5), {0, 0, false});
}

TEST_CASE("with nothing retained, only the newest seq itself is recovered", "[resume]") {
  check(plan_resume(7, true, 7, 0), {0, 0, true});
  check(plan_resume(6, true, 7, 0), {0, 0, false});
  check(plan_resume(8, true, 7, 0), {0, 0, false});
}

TEST_CASE("plan_after selects the retained messages after a seq", "[resume][history]") {
  check(plan_after(0, 10, 5), {0, 5, false});
  check(plan_after(5, 10, 5), {0, 5, false});
  check(plan_after(6, 10, 5), {1, 4, false});
  check(plan_after(9, 10, 5), {4, 1, false});
  check(plan_after(10, 10, 5), {5, 0, false});
  check(plan_after(99, 10, 5), {5, 0, false});
  check(plan_after(0, 0, 0), {0, 0, false});
}
