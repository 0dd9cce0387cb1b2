// The Lua sources of the topic scripts; their contracts are in
// redis_scripts.h. Seqs are formatted with '%d': tostring() would write
// 1e+14 for large numbers.
#include "engine/redis_scripts.h"

#include <string>

namespace pubsub::engine {
namespace {

// Sets `first_id` and `retained` to the history's oldest entry ID ("" if
// none) and its length.
constexpr const char* kRetainedRange = R"lua(
local retained = redis.call('XLEN', KEYS[2])
local first_id = ''
if retained > 0 then
  first_id = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1)[1][1]
end
)lua";

constexpr const char* kCreate = R"lua(
local meta = redis.call('HMGET', KEYS[1], 'epoch', 'seq')
if meta[1] then
  return {'exists', meta[1], meta[2]}
end
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[1], 'epoch', ARGV[1], 'seq', 0, 'created', ARGV[2])
redis.call('PUBLISH', ARGV[3], 'created ' .. ARGV[1] .. ' ' .. ARGV[4])
return {'created', ARGV[1], 0}
)lua";

constexpr const char* kDelete = R"lua(
local meta = redis.call('HMGET', KEYS[1], 'epoch', 'seq')
if not meta[1] then
  return {'not_found'}
end
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('PUBLISH', ARGV[1], 'deleted\n' .. meta[1] .. '\n' .. meta[2])
redis.call('PUBLISH', ARGV[2], 'deleted ' .. meta[1] .. ' ' .. ARGV[3])
return {'deleted', meta[1], meta[2]}
)lua";

constexpr const char* kPublish = R"lua(
local count = (#ARGV - 8) / 2
if count < 1 or count ~= math.floor(count) then
  return redis.error_reply('ERR publish needs an id and a payload per message')
end
local size = tonumber(ARGV[1])
local ts = ARGV[5]
local epoch = redis.call('HGET', KEYS[1], 'epoch')
local created = 0
if not epoch then
  if ARGV[2] ~= '1' then
    return {'not_found'}
  end
  epoch = ARGV[3]
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[1], 'epoch', epoch, 'seq', 0, 'created', ARGV[4])
  redis.call('PUBLISH', ARGV[7], 'created ' .. epoch .. ' ' .. ARGV[8])
  created = 1
end
local last = redis.call('HINCRBY', KEYS[1], 'seq', count)
local first = last - count + 1
if size == 0 then
  redis.call('DEL', KEYS[2])
end
for i = 0, count - 1 do
  local seq = string.format('%d', first + i)
  local id = ARGV[9 + 2 * i]
  local payload = ARGV[10 + 2 * i]
  -- Messages older than the newest `size` of the batch would be trimmed
  -- at once: they are not appended.
  if size > 0 and first + i > last - size then
    redis.call('XADD', KEYS[2], 'MAXLEN', '=', size, seq .. '-0', 'id', id, 'payload', payload, 'ts', ts)
  end
  redis.call('PUBLISH', ARGV[6], 'event\n' .. epoch .. '\n' .. seq .. '\n' .. ts .. '\n' .. id .. '\n' .. payload)
end
return {'published', epoch, first, last, created}
)lua";

// Reads the meta hash into `meta` (epoch, seq), or answers not_found.
constexpr const char* kReadMeta = R"lua(
local meta = redis.call('HMGET', KEYS[1], 'epoch', 'seq')
if not meta[1] then
  return {'not_found'}
end
)lua";

// The info and history scripts are kReadMeta, then kRetainedRange, then
// their own reply.
constexpr const char* kInfoReply = R"lua(
return {'ok', meta[1], meta[2], first_id, retained}
)lua";

// since_seq is compared as a number before it becomes an ID: past the
// newest seq nothing follows it (and an ID past 2^64 would be refused).
constexpr const char* kHistoryReply = R"lua(
local entries = {}
if ARGV[1] == 'after' then
  if tonumber(ARGV[3]) > 0 and tonumber(ARGV[2]) < tonumber(meta[2]) then
    entries = redis.call('XRANGE', KEYS[2], '(' .. ARGV[2] .. '-0', '+', 'COUNT', ARGV[3])
  end
elseif ARGV[1] == 'last' then
  if tonumber(ARGV[2]) > 0 then
    entries = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', ARGV[2])
  end
else
  return redis.error_reply('ERR history needs after or last')
end
return {'ok', meta[1], meta[2], first_id, retained, entries}
)lua";

}  // namespace

const redis::Script& create_topic_script() {
  static const redis::Script script(kCreate);
  return script;
}

const redis::Script& delete_topic_script() {
  static const redis::Script script(kDelete);
  return script;
}

const redis::Script& publish_script() {
  static const redis::Script script(kPublish);
  return script;
}

const redis::Script& topic_info_script() {
  static const redis::Script script(std::string(kReadMeta) + kRetainedRange + kInfoReply);
  return script;
}

const redis::Script& read_history_script() {
  static const redis::Script script(std::string(kReadMeta) + kRetainedRange + kHistoryReply);
  return script;
}

}  // namespace pubsub::engine
