// Tests of the frame writer and its pool (frame_writer.h), with no socket:
// frames are appended, the gathered buffers are read as a socket would
// take them (whole, in part, a byte at a time) and consumed. What comes out
// must be exactly the appended byte stream; small frames must be copied
// into one buffer and big ones written from their own bytes (held until
// written); the writer's state must go back to the pool, be reused, and
// stay bounded when the writer never quite empties.
//
// Memory is measured by counting the heap: this file replaces the global
// operator new and delete of the net_tests binary with counting ones (over
// malloc and free; nothing else changes for the other tests).
#include "net/frame_writer.h"

#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>

#include <malloc.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.h"
#include "core/outbound.h"
#include "core/topic.h"

// ------------------------------------------------------------------ the counted heap

namespace {

std::atomic<std::size_t> g_live_bytes{0};
std::atomic<std::size_t> g_allocations{0};

void* counted_alloc(std::size_t size) noexcept {
  void* p = std::malloc(size == 0 ? 1 : size);
  if (p) {
    g_live_bytes.fetch_add(malloc_usable_size(p), std::memory_order_relaxed);
    g_allocations.fetch_add(1, std::memory_order_relaxed);
  }
  return p;
}

void counted_free(void* p) noexcept {
  if (!p) return;
  g_live_bytes.fetch_sub(malloc_usable_size(p), std::memory_order_relaxed);
  std::free(p);
}

void* counted_new(std::size_t size) {
  if (void* p = counted_alloc(size)) return p;
  throw std::bad_alloc();
}

// Bytes allocated with new and not deleted yet; allocations so far.
std::size_t heap_live() { return g_live_bytes.load(std::memory_order_relaxed); }
std::size_t heap_allocations() { return g_allocations.load(std::memory_order_relaxed); }

}  // namespace

void* operator new(std::size_t size) { return counted_new(size); }
void* operator new[](std::size_t size) { return counted_new(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept { return counted_alloc(size); }
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept { return counted_alloc(size); }
void operator delete(void* p) noexcept { counted_free(p); }
void operator delete[](void* p) noexcept { counted_free(p); }
void operator delete(void* p, std::size_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::size_t) noexcept { counted_free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { counted_free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { counted_free(p); }

using namespace pubsub;
using net::FrameWriter;
using net::WriteBuffer;
using net::WriterPool;

namespace {

// ------------------------------------------------------------------ helpers

// `size` bytes that differ with `seed`, so that a frame out of place shows.
std::string pattern(std::size_t size, std::size_t seed) {
  std::string bytes(size, '\0');
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>('a' + (seed * 7 + i) % 26);
  return bytes;
}

core::OutboundRef control(std::size_t size, std::size_t seed) { return core::Outbound::control(pattern(size, seed)); }

// The buffers the next write would take (all of them).
std::vector<WriteBuffer> gather_all(const FrameWriter& writer) {
  std::vector<WriteBuffer> buffers(4096);
  buffers.resize(writer.gather(buffers));
  return buffers;
}

std::string joined(const std::vector<WriteBuffer>& buffers) {
  std::string bytes;
  for (const WriteBuffer& b : buffers) bytes.append(b.data, b.size);
  return bytes;
}

// Takes up to `n` bytes of what the writer gathers, as a socket that
// accepts only that many, and consumes them; returns them.
std::string take(FrameWriter& writer, WriterPool& pool, std::size_t n) {
  std::array<WriteBuffer, 8> buffers;
  const std::size_t count = writer.gather(buffers);
  std::string bytes;
  for (std::size_t i = 0; i < count && bytes.size() < n; ++i) {
    bytes.append(buffers[i].data, std::min(buffers[i].size, n - bytes.size()));
  }
  writer.consume(pool, bytes.size());
  return bytes;
}

// Writes everything, `step` bytes per write.
std::string write_in_steps(FrameWriter& writer, WriterPool& pool, std::size_t step) {
  std::string bytes;
  while (!writer.empty()) bytes += take(writer, pool, step);
  return bytes;
}

// Appends frames of `sizes` (seeded by their position); returns their bytes.
std::string append_all(FrameWriter& writer, WriterPool& pool, const std::vector<std::size_t>& sizes) {
  std::string bytes;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    const core::OutboundRef frame = control(sizes[i], i);
    writer.append(pool, frame);
    bytes += frame->bytes();
  }
  return bytes;
}

constexpr std::size_t kLimit = FrameWriter::kCopyLimit;

// Small and big frames mixed, the copy limit's edges included.
const std::vector<std::size_t> kMixed = {10, 2000, 20, 30, 3000, 5000, 1, kLimit, kLimit + 1, 7, 64 * 1024, 3};

}  // namespace

// ------------------------------------------------------------------ copies and held frames

TEST_CASE("Small frames are copied into one buffer", "[frame_writer]") {
  WriterPool pool;
  FrameWriter writer;
  CHECK(writer.empty());
  CHECK(pool.in_use() == 0);

  std::vector<core::OutboundRef> frames;
  std::string expected;
  for (std::size_t i = 0; i < 100; ++i) {
    frames.push_back(control(30, i));
    writer.append(pool, frames.back());
    expected += frames.back()->bytes();
  }
  writer.append_bytes(pool, "and a control frame");
  expected += "and a control frame";
  CHECK(writer.pending() == expected.size());
  CHECK(pool.in_use() == 1);

  const std::vector<WriteBuffer> buffers = gather_all(writer);
  REQUIRE(buffers.size() == 1);
  CHECK(joined(buffers) == expected);
  CHECK(buffers[0].data != frames[0]->bytes().data());

  frames.clear();  // the copies need the frames no more
  CHECK(joined(gather_all(writer)) == expected);
  writer.consume(pool, expected.size());
  CHECK(writer.empty());
  CHECK(writer.pending() == 0);
  CHECK(writer.gather(std::span<WriteBuffer>()) == 0);
  CHECK(pool.in_use() == 0);
}

TEST_CASE("A frame over kCopyLimit is written from its own bytes", "[frame_writer]") {
  WriterPool pool;
  FrameWriter writer;
  const core::OutboundRef at_limit = control(kLimit, 1);
  const core::OutboundRef over = control(kLimit + 1, 2);
  writer.append(pool, at_limit);
  writer.append(pool, over);

  const std::vector<WriteBuffer> buffers = gather_all(writer);
  REQUIRE(buffers.size() == 2);
  CHECK(buffers[0].data != at_limit->bytes().data());  // copied
  CHECK(buffers[0].size == kLimit);
  CHECK(buffers[1].data == over->bytes().data());  // not copied
  CHECK(buffers[1].size == kLimit + 1);
  CHECK(joined(buffers) == std::string(at_limit->bytes()) + std::string(over->bytes()));
  writer.discard(pool);
}

TEST_CASE("A big event stays alive in the writer until its last byte is written", "[frame_writer]") {
  WriterPool pool;
  FrameWriter writer;
  const core::TopicRef topic = core::Topic::make("t", 0, 1);
  const core::EventRef big = core::Event::make(topic, 1, pattern(5000, 1));
  const core::EventRef small = core::Event::make(topic, 2, pattern(100, 2));
  REQUIRE(big->references() == 1);
  {
    const core::OutboundRef big_frame(core::Outbound::of_event(big));
    const core::OutboundRef small_frame(core::Outbound::of_event(small));
    CHECK(big->references() == 2);
    writer.append(pool, big_frame);
    writer.append(pool, small_frame);
  }
  CHECK(big->references() == 2);    // its Outbound lives on in the writer
  CHECK(small->references() == 1);  // copied: its Outbound is gone

  std::vector<WriteBuffer> buffers = gather_all(writer);
  REQUIRE(buffers.size() == 2);
  CHECK(buffers[0].data == big->bytes().data());
  CHECK(joined(buffers) == std::string(big->bytes()) + std::string(small->bytes()));

  writer.consume(pool, big->size() - 1);
  CHECK(big->references() == 2);
  buffers = gather_all(writer);
  REQUIRE(buffers.size() == 2);
  CHECK(buffers[0].data == big->bytes().data() + big->size() - 1);
  CHECK(buffers[0].size == 1);

  writer.consume(pool, 1);
  CHECK(big->references() == 1);  // released as soon as it is written
  CHECK_FALSE(writer.empty());
  writer.consume(pool, small->size());
  CHECK(writer.empty());
}

// ------------------------------------------------------------------ the byte stream

TEST_CASE("Order is kept across small and big frames", "[frame_writer]") {
  WriterPool pool;
  FrameWriter writer;
  const std::string expected = append_all(writer, pool, kMixed);
  const std::vector<WriteBuffer> buffers = gather_all(writer);
  // Adjacent small frames share a buffer: 10 | 2000 | 20+30 | 3000 | 5000 |
  // 1+limit | limit+1 | 7 | 64 KiB | 3.
  CHECK(buffers.size() == 10);
  CHECK(joined(buffers) == expected);
  CHECK(writer.pending() == expected.size());
  writer.discard(pool);
}

TEST_CASE("Writes of any size, cutting frames anywhere, give back the appended stream", "[frame_writer]") {
  const std::size_t step = GENERATE(1, 2, 3, 7, 100, kLimit - 1, kLimit, kLimit + 1, 4096, 65536, 1 << 20);
  CAPTURE(step);
  WriterPool pool;
  FrameWriter writer;
  const std::string expected = append_all(writer, pool, kMixed);
  CHECK(write_in_steps(writer, pool, step) == expected);
  CHECK(writer.empty());
  CHECK(pool.in_use() == 0);
}

TEST_CASE("Writes of random sizes give back the appended stream", "[frame_writer]") {
  std::mt19937 random(42);
  WriterPool pool;
  FrameWriter writer;
  for (int round = 0; round < 20; ++round) {
    const std::string expected = append_all(writer, pool, kMixed);
    std::string written;
    while (!writer.empty()) {
      written += take(writer, pool, std::uniform_int_distribution<std::size_t>(1, 6000)(random));
    }
    CHECK(written == expected);
  }
  CHECK(pool.in_use() == 0);
}

TEST_CASE("Appends between partial writes keep the stream in order", "[frame_writer]") {
  std::mt19937 random(7);
  WriterPool pool;
  FrameWriter writer;
  std::string expected;
  std::string written;
  bool pending_right = true;
  for (int i = 0; i < 3000; ++i) {
    const unsigned choice = random() % 4;
    if (choice == 0) {
      const core::OutboundRef frame = control(1 + random() % 3000, i);
      writer.append(pool, frame);
      expected += frame->bytes();
    } else if (choice == 1) {
      const std::string bytes = pattern(1 + random() % 200, i);
      writer.append_bytes(pool, bytes);
      expected += bytes;
    } else {
      written += take(writer, pool, random() % 2500);
    }
    pending_right = pending_right && writer.pending() == expected.size() - written.size();
  }
  CHECK(pending_right);
  written += write_in_steps(writer, pool, 777);
  CHECK(written == expected);
  CHECK(pool.in_use() == 0);
}

// ------------------------------------------------------------------ bounds and the pool

TEST_CASE("accepting() turns false at kHighWater", "[frame_writer]") {
  WriterPool pool;
  FrameWriter writer;
  CHECK(writer.accepting());
  writer.append_bytes(pool, pattern(FrameWriter::kHighWater - 1, 0));
  CHECK(writer.accepting());
  writer.append_bytes(pool, "x");
  CHECK(writer.pending() == FrameWriter::kHighWater);
  CHECK_FALSE(writer.accepting());
  writer.consume(pool, 1);
  CHECK(writer.accepting());
  writer.discard(pool);

  // A held frame counts the same.
  writer.append(pool, control(FrameWriter::kHighWater, 1));
  CHECK_FALSE(writer.accepting());
  writer.consume(pool, FrameWriter::kHighWater);
  CHECK(writer.accepting());
}

TEST_CASE("An emptied writer gives its state back to the pool, which reuses it", "[frame_writer]") {
  WriterPool pool;
  FrameWriter a;
  FrameWriter b;
  const std::vector<core::OutboundRef> frames = {control(100, 1), control(2000, 2), control(50, 3)};
  std::size_t busy = 0;
  // Appends the frames to `writer` and writes them, in two writes (and
  // allocates nothing itself).
  auto cycle = [&](FrameWriter& writer) {
    for (const core::OutboundRef& frame : frames) writer.append(pool, frame);
    writer.append_bytes(pool, "ping");
    busy = pool.in_use();
    writer.consume(pool, 150);
    writer.consume(pool, writer.pending());
  };

  cycle(a);
  CHECK(busy == 1);
  CHECK(pool.in_use() == 0);

  const std::size_t allocations = heap_allocations();
  cycle(a);
  cycle(b);
  CHECK(heap_allocations() == allocations);  // a warm state, taken from the pool: nothing allocated
  CHECK(pool.in_use() == 0);

  a.append_bytes(pool, "a");
  b.append_bytes(pool, "b");
  CHECK(pool.in_use() == 2);
  a.consume(pool, 1);
  CHECK(pool.in_use() == 1);
  b.discard(pool);
  CHECK(pool.in_use() == 0);
}

TEST_CASE("The pool keeps as many states as writers were busy at once, and trim frees the unneeded", "[frame_writer]") {
  WriterPool pool;
  std::vector<FrameWriter> writers(1000);  // a fan-out to more writers than any fixed cap
  const std::string frame(190, 'e');
  auto burst = [&](std::size_t count) {  // `count` writers busy at once, then all written
    for (std::size_t i = 0; i < count; ++i) writers[i].append_bytes(pool, frame);
    CHECK(pool.in_use() == count);
    for (std::size_t i = 0; i < count; ++i) writers[i].consume(pool, writers[i].pending());
  };

  burst(1000);
  CHECK(pool.spares() == 1000);
  const std::size_t live = heap_live();
  const std::size_t allocations = heap_allocations();
  burst(1000);
  CHECK(heap_allocations() == allocations);  // every state came back warm
  CHECK(pool.trim() == 0);                   // all were needed

  burst(10);
  CHECK(pool.trim() == 990);  // 10 needed in this period
  CHECK(pool.spares() == 10);
  CHECK(heap_live() < live);
  CHECK(pool.trim() == 10);  // a quiet period frees the rest
  CHECK(pool.spares() == 0);
}

TEST_CASE("discard() drops everything and releases the held frames", "[frame_writer]") {
  WriterPool pool;
  FrameWriter writer;
  const core::TopicRef topic = core::Topic::make("t", 0, 1);
  const core::EventRef event = core::Event::make(topic, 1, pattern(4000, 1));
  writer.append(pool, core::OutboundRef(core::Outbound::of_event(event)));
  append_all(writer, pool, kMixed);
  take(writer, pool, 1234);
  REQUIRE(event->references() == 2);

  writer.discard(pool);
  CHECK(writer.empty());
  CHECK(writer.pending() == 0);
  CHECK(gather_all(writer).empty());
  CHECK(pool.in_use() == 0);
  CHECK(event->references() == 1);
  writer.discard(pool);  // nothing left: no effect

  writer.append_bytes(pool, "again");
  CHECK(joined(gather_all(writer)) == "again");
  writer.consume(pool, 5);
  CHECK(pool.in_use() == 0);
}

TEST_CASE("A writer that never empties keeps bounded memory", "[frame_writer]") {
  WriterPool pool;
  FrameWriter writer;
  std::vector<core::OutboundRef> small;
  for (std::size_t i = 0; i < 20; ++i) small.push_back(control(40, i));
  const core::OutboundRef big = control(1500, 99);
  std::size_t round = 0;
  std::size_t most_pending = 0;
  std::size_t most_buffers = 0;
  std::array<WriteBuffer, 64> buffers;
  // One slow peer's pass: a burst appended, all but a little written.
  auto burst = [&] {
    for (const core::OutboundRef& frame : small) writer.append(pool, frame);
    writer.append(pool, big);
    const std::size_t keep = 1 + (round++ * 37) % 2300;  // never empty: cut anywhere in the last burst
    take(writer, pool, writer.pending() - keep);
    most_pending = std::max(most_pending, writer.pending());
    most_buffers = std::max(most_buffers, writer.gather(buffers));
  };

  for (int i = 0; i < 500; ++i) burst();
  const std::size_t warm = heap_live();
  std::size_t most = warm;
  for (int i = 0; i < 5000; ++i) {  // 4 MB appended
    burst();
    most = std::max(most, heap_live());
  }
  REQUIRE_FALSE(writer.empty());
  CHECK(most - warm < 32 * 1024);
  CHECK(most_pending <= 2300);
  CHECK(most_buffers <= 2);
  CHECK(pool.in_use() == 1);
  writer.discard(pool);
}
