// Maps a node's object-store arena (a file in /dev/shm) into this process.
// Writers use one shared mapping of the whole arena; each read maps its object privately
// (copy-on-write), so a reader that mutates what lux.get returned changes neither the
// stored object nor what any other read returns.
// It also holds lux.util.collective's element-wise reductions (reduce), which need no
// mapping but a native loop, and the AES-128-GCM of object transfers between TLS nodes
// (gcm*: see packages/raylet/src/bulk-channel.ts), which encrypts from and decrypts into the
// arena where the bytes lie: the one native module Lux builds.
#include <napi.h>
// OpenSSL's EVP API, as the node binary carries and exports it (Node's own headers).
#include <openssl/evp.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <mutex>
#include <string>
#include <type_traits>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace {

struct Mapping {
  uint8_t* base = nullptr;
  size_t size = 0;
  // The arena file's identity, to tell whether a private view (mapRange) is of this arena.
  dev_t dev = 0;
  ino_t ino = 0;
};

Napi::Error SysError(Napi::Env env, const std::string& what) {
  return Napi::Error::New(env, what + ": " + std::strerror(errno));
}

Mapping* Unwrap(const Napi::CallbackInfo& info, size_t i) {
  auto mapping = info[i].As<Napi::External<Mapping>>().Data();
  if (mapping->base == nullptr) {
    throw Napi::Error::New(info.Env(), "the arena mapping is closed");
  }
  return mapping;
}

void CheckRange(Napi::Env env, const Mapping* m, size_t offset, size_t length) {
  if (offset > m->size || length > m->size - offset) {
    throw Napi::RangeError::New(env, "range outside the arena");
  }
}

// create(path, size): creates (or resizes) the arena file, mode 0600.
Napi::Value Create(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  std::string path = info[0].As<Napi::String>();
  auto size = static_cast<off_t>(info[1].As<Napi::Number>().Int64Value());
  int fd = open(path.c_str(), O_RDWR | O_CREAT, 0600);
  if (fd < 0) throw SysError(env, "open " + path);
  if (ftruncate(fd, size) != 0) {
    close(fd);
    throw SysError(env, "ftruncate " + path);
  }
  close(fd);
  return env.Undefined();
}

// map(path, size, shared): maps the whole arena, shared (read-write) or private.
Napi::Value Map(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  std::string path = info[0].As<Napi::String>();
  auto size = static_cast<size_t>(info[1].As<Napi::Number>().Int64Value());
  bool shared = info[2].As<Napi::Boolean>();
  int fd = open(path.c_str(), shared ? O_RDWR : O_RDONLY);
  if (fd < 0) throw SysError(env, "open " + path);
  struct stat st {};
  bool known = fstat(fd, &st) == 0;
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, shared ? MAP_SHARED : MAP_PRIVATE, fd, 0);
  close(fd);
  if (p == MAP_FAILED) throw SysError(env, "mmap " + path);
  auto mapping = new Mapping{static_cast<uint8_t*>(p), size, known ? st.st_dev : 0, known ? st.st_ino : 0};
  return Napi::External<Mapping>::New(env, mapping, [](Napi::Env, Mapping* m) {
    if (m->base != nullptr) munmap(m->base, m->size);
    delete m;
  });
}

// openReadOnly(path): a file descriptor for mapRange (kept open for the process's life).
Napi::Value OpenReadOnly(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  std::string path = info[0].As<Napi::String>();
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw SysError(env, "open " + path);
  return Napi::Number::New(env, fd);
}

// mapRange(fd, offset, length, accounted, token): a private copy-on-write mapping of one
// object, as an ArrayBuffer that unmaps itself when garbage collected. Every call maps anew,
// so two readers in one process never see each other's writes. offset must be page aligned.
//
// When the buffer is collected, the function given to onViewReleased is called with `token`
// (if one was given), so the caller can unpin the object in the store. This is done here
// rather than with a FinalizationRegistry: V8's scavenges never collect an object registered
// with one, so every view lived until the next full collection, while a buffer like this one
// is freed by the first scavenge after it became garbage.
//
// V8 counts an ArrayBuffer's whole length as external memory, and starts a full collection
// for about every 64 MiB added. A mapping of the shared arena allocates nothing, though: it
// only pins its object until it is collected. So V8 is told `accounted` bytes for it instead
// (the caller scales it to the store's size), which keeps full collections frequent enough to
// release views that lived long, and no more: a pipeline reading 4 MiB blocks spent most of
// its CPU in those collections.
struct Mapped {
  size_t length;
  int64_t unaccounted;
  double token;
};

// The private views this process has mapped (mapRange), by start address: where in which
// arena file each one's bytes lie. See UnchangedArenaBytes.
struct ViewPlace {
  size_t length;
  off_t offset;
  dev_t dev;
  ino_t ino;
};
std::mutex views_mutex;
std::map<uintptr_t, ViewPlace> views;

void ForgetView(void* base) {
  std::lock_guard<std::mutex> lock(views_mutex);
  views.erase(reinterpret_cast<uintptr_t>(base));
}

// /proc/self/pagemap, opened on first use (-2: not yet; -1: unavailable, e.g. no /proc: every
// write then copies through the view, as before).
int pagemap_fd = -2;

// Whether none of the pages of [start, end) of this process was written since it was mapped
// privately: each is not in memory (still the file's) or is the file's page (bit 61), none a
// private copy (an anonymous page, in memory or swapped: bit 62). See Documentation/admin-guide/mm/pagemap.rst.
bool PagesUnwritten(uintptr_t start, uintptr_t end) {
  {
    std::lock_guard<std::mutex> lock(views_mutex);  // threads of one process share the fd
    if (pagemap_fd == -2) pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  }
  if (pagemap_fd < 0) return false;
  const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  uint64_t entries[512];
  for (uintptr_t first = start / page, last = (end + page - 1) / page; first < last;) {
    size_t n = static_cast<size_t>(last - first < 512 ? last - first : 512);
    ssize_t got = pread(pagemap_fd, entries, n * sizeof(uint64_t), static_cast<off_t>(first * sizeof(uint64_t)));
    if (got != static_cast<ssize_t>(n * sizeof(uint64_t))) return false;
    for (size_t i = 0; i < n; i++) {
      uint64_t e = entries[i];
      bool present = (e >> 63) & 1, swapped = (e >> 62) & 1, file = (e >> 61) & 1;
      if (swapped || (present && !file)) return false;
    }
    first += n;
  }
  return true;
}

// The bytes [bytes, bytes + length) where they lie in the shared mapping `m`, if they are bytes
// of a private view of m's arena that this process has not written to (so they are what the
// arena holds): else nullptr. A task returning (part of) its input then copies from the
// process's shared mapping, whose pages it has mostly touched before, instead of touching
// every page of the view: a page's first touch at an address new to the process costs more
// than copying it on a VM with shadow page tables (measured: ~2.5 ms to read 4 MiB through a
// new mapping, ~0.2 ms through one read before; and the view is then unmapped untouched).
const uint8_t* UnchangedArenaBytes(const Mapping* m, const uint8_t* bytes, size_t length) {
  if (length < (size_t{64} << 10) || m->ino == 0) return nullptr;
  auto start = reinterpret_cast<uintptr_t>(bytes);
  ViewPlace place;
  uintptr_t base;
  {
    std::lock_guard<std::mutex> lock(views_mutex);
    auto it = views.upper_bound(start);
    if (it == views.begin()) return nullptr;
    --it;
    base = it->first;
    place = it->second;
  }
  if (start + length > base + place.length || place.dev != m->dev || place.ino != m->ino) return nullptr;
  size_t at = static_cast<size_t>(place.offset) + (start - base);
  if (at > m->size || length > m->size - at) return nullptr;
  if (!PagesUnwritten(start, start + length)) return nullptr;
  return m->base + at;
}

Napi::Value OnViewReleased(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto* previous = env.GetInstanceData<Napi::FunctionReference>();
  auto* ref = new Napi::FunctionReference(Napi::Persistent(info[0].As<Napi::Function>()));
  env.SetInstanceData<Napi::FunctionReference>(ref);
  (void)previous;  // freed by SetInstanceData's default finalizer
  return env.Undefined();
}

void ViewCollected(Napi::Env env, void* data, Mapped* m) {
  ForgetView(data);
  munmap(data, m->length);
  // V8 takes the whole length off when the buffer goes; give back what was taken off here.
  if (m->unaccounted != 0) Napi::MemoryManagement::AdjustExternalMemory(env, m->unaccounted);
  double token = m->token;
  delete m;
  if (token < 0) return;
  auto* callback = env.GetInstanceData<Napi::FunctionReference>();
  if (callback == nullptr || callback->IsEmpty()) return;
  Napi::HandleScope scope(env);
  try {
    callback->Call({Napi::Number::New(env, token)});
  } catch (const Napi::Error&) {
    // The process is ending (its environment is torn down, calls into JS fail): the store
    // releases a gone client's pins itself.
  }
}

Napi::Value MapRange(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  auto offset = static_cast<off_t>(info[1].As<Napi::Number>().Int64Value());
  auto length = static_cast<size_t>(info[2].As<Napi::Number>().Int64Value());
  int64_t accounted = info.Length() > 3 && info[3].IsNumber() ? info[3].As<Napi::Number>().Int64Value() : static_cast<int64_t>(length);
  double token = info.Length() > 4 && info[4].IsNumber() ? info[4].As<Napi::Number>().DoubleValue() : -1;
  if (length == 0) return Napi::ArrayBuffer::New(env, 0);
  if (accounted < 0) accounted = 0;
  if (accounted > static_cast<int64_t>(length)) accounted = static_cast<int64_t>(length);
  void* p = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, offset);
  if (p == MAP_FAILED) throw SysError(env, "mmap object");
  struct stat st {};
  if (fstat(fd, &st) == 0) {
    std::lock_guard<std::mutex> lock(views_mutex);
    views[reinterpret_cast<uintptr_t>(p)] = ViewPlace{length, offset, st.st_dev, st.st_ino};
  }
  auto* mapped = new Mapped{length, static_cast<int64_t>(length) - accounted, token};
  auto buffer = Napi::ArrayBuffer::New(env, p, length, ViewCollected, mapped);
  if (mapped->unaccounted != 0) Napi::MemoryManagement::AdjustExternalMemory(env, -mapped->unaccounted);
  return buffer;
}

// write(mapping, offset, source): copies a typed array or Buffer into the arena (from where the
// bytes lie in the arena, when they are an unwritten view of it: see UnchangedArenaBytes).
Napi::Value Write(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto m = Unwrap(info, 0);
  auto offset = static_cast<size_t>(info[1].As<Napi::Number>().Int64Value());
  auto src = info[2].As<Napi::TypedArray>();
  auto bytes = static_cast<uint8_t*>(src.ArrayBuffer().Data()) + src.ByteOffset();
  size_t length = src.ByteLength();
  CheckRange(env, m, offset, length);
  const uint8_t* in_arena = UnchangedArenaBytes(m, bytes, length);
  std::memcpy(m->base + offset, in_arena != nullptr ? in_arena : bytes, length);
  return env.Undefined();
}

// sharedView(mapping, offset, length): an ArrayBuffer over bytes of the shared mapping itself
// (no copy, no mapping of its own), e.g. for a socket to send an object's bytes from where
// they lie. Valid while the mapping is: the raylet never unmaps its shared mapping before it
// exits, so the buffer frees nothing when collected.
Napi::Value SharedView(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto m = Unwrap(info, 0);
  auto offset = static_cast<size_t>(info[1].As<Napi::Number>().Int64Value());
  auto length = static_cast<size_t>(info[2].As<Napi::Number>().Int64Value());
  CheckRange(env, m, offset, length);
  // V8 refuses larger ArrayBuffers (and the refusal crashes the process in node-addon-api).
  if (length > (size_t{1} << 31)) throw Napi::RangeError::New(env, "a shared view is at most 2 GiB");
  if (length == 0) return Napi::ArrayBuffer::New(env, 0);
  return Napi::ArrayBuffer::New(env, m->base + offset, length, [](Napi::Env, void*) {});
}

// Copies with stores that bypass the CPU cache where the CPU has them (SSE2): for bytes this
// process will not read again, e.g. object chunks received from another node, copied from a
// buffer still in the cache. Measured on 2 vCPUs (AMD EPYC), 1 GiB into warm arena pages:
// ~0.06 s of CPU against ~0.09-0.13 s for memcpy, which reads each destination line first.
void CopyStreaming(uint8_t* dst, const uint8_t* src, size_t length) {
#if defined(__SSE2__)
  if (length >= 4096) {
    size_t head = (16 - (reinterpret_cast<uintptr_t>(dst) & 15)) & 15;
    std::memcpy(dst, src, head);
    size_t i = head;
    for (; i + 64 <= length; i += 64) {
      __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
      __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i + 16));
      __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i + 32));
      __m128i d = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i + 48));
      _mm_stream_si128(reinterpret_cast<__m128i*>(dst + i), a);
      _mm_stream_si128(reinterpret_cast<__m128i*>(dst + i + 16), b);
      _mm_stream_si128(reinterpret_cast<__m128i*>(dst + i + 32), c);
      _mm_stream_si128(reinterpret_cast<__m128i*>(dst + i + 48), d);
    }
    std::memcpy(dst + i, src + i, length - i);
    // The streamed stores are ordered before whatever this process does next (a seal).
    _mm_sfence();
    return;
  }
#endif
  std::memcpy(dst, src, length);
}

// writeStreaming(mapping, offset, source): write's bytes, past the CPU cache (CopyStreaming).
Napi::Value WriteStreaming(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto m = Unwrap(info, 0);
  auto offset = static_cast<size_t>(info[1].As<Napi::Number>().Int64Value());
  auto src = info[2].As<Napi::TypedArray>();
  auto bytes = static_cast<uint8_t*>(src.ArrayBuffer().Data()) + src.ByteOffset();
  size_t length = src.ByteLength();
  CheckRange(env, m, offset, length);
  CopyStreaming(m->base + offset, bytes, length);
  return env.Undefined();
}

// ---- Element-wise reductions for lux.util.collective (typed-arrays.ts) ----
// reduce(dst, src, op): dst[i] = dst[i] op src[i] for each element of the typed array dst;
// src is any typed array of dst's byte length, at any byte alignment (a socket frame may
// place its bytes anywhere). op: 0 SUM, 1 PRODUCT, 2 MIN, 3 MAX. The results are those of the JavaScript loops they replace:
// integers wrap, floats round once (a float32 sum or product computed in double and
// rounded is the float32 one), MIN and MAX as Math.min and Math.max (NaN if either is, -0
// below +0). Returns false for what it does not do (Uint8ClampedArray, 32-bit integer
// products: JavaScript rounds those through a double), which JavaScript then does.
enum ReduceOp { kSum = 0, kProduct = 1, kMin = 2, kMax = 3 };

template <typename T>
inline T LoadAt(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

// The loops are plain element loops with byte loads the compiler turns into (vector) loads:
// no branch per element on the operation or the type.
template <typename T, typename F>
void Combine(T* __restrict dst, const uint8_t* __restrict src, size_t n, F f) {
  for (size_t i = 0; i < n; i++) dst[i] = f(dst[i], LoadAt<T>(src + i * sizeof(T)));
}

// Math.min / Math.max of two floats.
template <typename T>
inline T JsMin(T a, T b) {
  if (a != a || b != b) return a + b;  // NaN
  if (a == b) return std::signbit(a) ? a : b;
  return a < b ? a : b;
}

template <typename T>
inline T JsMax(T a, T b) {
  if (a != a || b != b) return a + b;
  if (a == b) return std::signbit(a) ? b : a;
  return a > b ? a : b;
}

template <typename T>
bool ReduceFloat(T* dst, const uint8_t* src, size_t n, int op) {
  switch (op) {
    case kSum: Combine<T>(dst, src, n, [](T a, T b) { return a + b; }); return true;
    case kProduct: Combine<T>(dst, src, n, [](T a, T b) { return a * b; }); return true;
    case kMin: Combine<T>(dst, src, n, JsMin<T>); return true;
    case kMax: Combine<T>(dst, src, n, JsMax<T>); return true;
  }
  return false;
}

// Integers: sums and products wrap (computed unsigned: no signed overflow); products only
// where the exact product fits a double (JavaScript rounds wider ones before wrapping).
template <typename T>
bool ReduceInt(T* dst, const uint8_t* src, size_t n, int op) {
  // Wide enough that no promotion to int can overflow (uint16 * uint16 would).
  using U = typename std::conditional<(sizeof(T) < sizeof(unsigned)), unsigned, typename std::make_unsigned<T>::type>::type;
  switch (op) {
    case kSum: Combine<T>(dst, src, n, [](T a, T b) { return static_cast<T>(static_cast<U>(a) + static_cast<U>(b)); }); return true;
    case kProduct:
      if (sizeof(T) == 4) return false;
      Combine<T>(dst, src, n, [](T a, T b) { return static_cast<T>(static_cast<U>(a) * static_cast<U>(b)); });
      return true;
    case kMin: Combine<T>(dst, src, n, [](T a, T b) { return b < a ? b : a; }); return true;
    case kMax: Combine<T>(dst, src, n, [](T a, T b) { return b > a ? b : a; }); return true;
  }
  return false;
}

struct TypedArrayBytes {
  napi_typedarray_type type;
  uint8_t* data;
  size_t byteLength;
};

TypedArrayBytes BytesOf(Napi::Env env, Napi::Value value, const char* what) {
  if (!value.IsTypedArray()) throw Napi::TypeError::New(env, std::string(what) + " must be a typed array");
  napi_typedarray_type type;
  size_t length;
  void* data;
  napi_value buffer;
  size_t offset;
  if (napi_get_typedarray_info(env, value, &type, &length, &data, &buffer, &offset) != napi_ok) {
    throw Napi::Error::New(env, std::string("cannot read ") + what);
  }
  size_t size = value.As<Napi::TypedArray>().ElementSize();
  return {type, static_cast<uint8_t*>(data), length * size};
}

Napi::Value Reduce(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto dst = BytesOf(env, info[0], "dst");
  auto src = BytesOf(env, info[1], "src");
  int op = info[2].As<Napi::Number>().Int32Value();
  if (src.byteLength != dst.byteLength) throw Napi::RangeError::New(env, "src is not as long as dst");
  bool done = false;
  switch (dst.type) {
    case napi_float32_array: done = ReduceFloat<float>(reinterpret_cast<float*>(dst.data), src.data, dst.byteLength / 4, op); break;
    case napi_float64_array: done = ReduceFloat<double>(reinterpret_cast<double*>(dst.data), src.data, dst.byteLength / 8, op); break;
    case napi_int8_array: done = ReduceInt<int8_t>(reinterpret_cast<int8_t*>(dst.data), src.data, dst.byteLength, op); break;
    case napi_uint8_array: done = ReduceInt<uint8_t>(dst.data, src.data, dst.byteLength, op); break;
    case napi_int16_array: done = ReduceInt<int16_t>(reinterpret_cast<int16_t*>(dst.data), src.data, dst.byteLength / 2, op); break;
    case napi_uint16_array: done = ReduceInt<uint16_t>(reinterpret_cast<uint16_t*>(dst.data), src.data, dst.byteLength / 2, op); break;
    case napi_int32_array: done = ReduceInt<int32_t>(reinterpret_cast<int32_t*>(dst.data), src.data, dst.byteLength / 4, op); break;
    case napi_uint32_array: done = ReduceInt<uint32_t>(reinterpret_cast<uint32_t*>(dst.data), src.data, dst.byteLength / 4, op); break;
    case napi_bigint64_array: done = ReduceInt<int64_t>(reinterpret_cast<int64_t*>(dst.data), src.data, dst.byteLength / 8, op); break;
    case napi_biguint64_array: done = ReduceInt<uint64_t>(reinterpret_cast<uint64_t*>(dst.data), src.data, dst.byteLength / 8, op); break;
    default: break;
  }
  return Napi::Boolean::New(env, done);
}

// AES-128-GCM, one direction of a stream: the key set once, each frame started with its
// nonce and authenticated header (gcmStart), its bytes en- or decrypted in pieces as they
// come (gcmUpdate, gcmUpdateMapped), and its tag made or checked (gcmFinish).
struct Gcm {
  EVP_CIPHER_CTX* ctx = nullptr;
  bool encrypt = true;
};

constexpr size_t kGcmKeyBytes = 16;
constexpr size_t kGcmNonceBytes = 12;
constexpr size_t kGcmTagBytes = 16;

struct Bytes {
  uint8_t* data;
  size_t length;
};

Bytes ViewBytes(Napi::Env env, Napi::Value value, const char* what) {
  if (!value.IsTypedArray() && !value.IsDataView()) throw Napi::TypeError::New(env, std::string(what) + " must be a Uint8Array");
  if (value.IsDataView()) {
    auto v = value.As<Napi::DataView>();
    return {static_cast<uint8_t*>(v.ArrayBuffer().Data()) + v.ByteOffset(), v.ByteLength()};
  }
  auto v = value.As<Napi::TypedArray>();
  return {static_cast<uint8_t*>(v.ArrayBuffer().Data()) + v.ByteOffset(), v.ByteLength()};
}

Gcm* UnwrapGcm(const Napi::CallbackInfo& info) {
  auto gcm = info[0].As<Napi::External<Gcm>>().Data();
  if (gcm->ctx == nullptr) throw Napi::Error::New(info.Env(), "the cipher is closed");
  return gcm;
}

Napi::Error CryptoError(Napi::Env env, const char* what) {
  return Napi::Error::New(env, std::string("AES-128-GCM: ") + what + " failed");
}

// gcmCreate(key, encrypt): a cipher under the 16-byte key.
Napi::Value GcmCreate(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto key = ViewBytes(env, info[0], "key");
  if (key.length != kGcmKeyBytes) throw Napi::RangeError::New(env, "an AES-128 key has 16 bytes");
  auto gcm = new Gcm();
  gcm->encrypt = info[1].As<Napi::Boolean>().Value();
  gcm->ctx = EVP_CIPHER_CTX_new();
  if (gcm->ctx == nullptr || EVP_CipherInit_ex(gcm->ctx, EVP_aes_128_gcm(), nullptr, key.data, nullptr, gcm->encrypt ? 1 : 0) != 1) {
    if (gcm->ctx != nullptr) EVP_CIPHER_CTX_free(gcm->ctx);
    delete gcm;
    throw CryptoError(env, "setting the key");
  }
  return Napi::External<Gcm>::New(env, gcm, [](Napi::Env, Gcm* g) {
    if (g->ctx != nullptr) EVP_CIPHER_CTX_free(g->ctx);
    delete g;
  });
}

// gcmStart(cipher, nonce, aad): begins a frame under the 12-byte nonce, authenticating aad.
Napi::Value GcmStart(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto gcm = UnwrapGcm(info);
  auto nonce = ViewBytes(env, info[1], "nonce");
  auto aad = ViewBytes(env, info[2], "aad");
  if (nonce.length != kGcmNonceBytes) throw Napi::RangeError::New(env, "a GCM nonce has 12 bytes");
  int out = 0;
  if (EVP_CipherInit_ex(gcm->ctx, nullptr, nullptr, nullptr, nonce.data, -1) != 1) throw CryptoError(env, "setting the nonce");
  if (aad.length > 0 && EVP_CipherUpdate(gcm->ctx, nullptr, &out, aad.data, static_cast<int>(aad.length)) != 1) throw CryptoError(env, "authenticating the header");
  return env.Undefined();
}

void GcmRun(Napi::Env env, Gcm* gcm, uint8_t* dst, const uint8_t* src, size_t length) {
  // EVP takes int lengths: pieces of at most 1 GiB.
  while (length > 0) {
    int piece = static_cast<int>(length > (1u << 30) ? (1u << 30) : length);
    int out = 0;
    if (EVP_CipherUpdate(gcm->ctx, dst, &out, src, piece) != 1 || out != piece) throw CryptoError(env, "the update");
    dst += piece;
    src += piece;
    length -= piece;
  }
}

// gcmUpdate(cipher, src, dst): en- or decrypts src into dst (the same length; may be the same bytes).
Napi::Value GcmUpdate(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto gcm = UnwrapGcm(info);
  auto src = ViewBytes(env, info[1], "src");
  auto dst = ViewBytes(env, info[2], "dst");
  if (dst.length != src.length) throw Napi::RangeError::New(env, "src and dst differ in length");
  GcmRun(env, gcm, dst.data, src.data, src.length);
  return env.Undefined();
}

// gcmUpdateMapped(cipher, src, mapping, offset): decrypts (or encrypts) src into the shared mapping at offset.
Napi::Value GcmUpdateMapped(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto gcm = UnwrapGcm(info);
  auto src = ViewBytes(env, info[1], "src");
  auto m = Unwrap(info, 2);
  auto offset = static_cast<size_t>(info[3].As<Napi::Number>().Int64Value());
  CheckRange(env, m, offset, src.length);
  GcmRun(env, gcm, m->base + offset, src.data, src.length);
  return env.Undefined();
}

// gcmFinish(cipher, tag): ends the frame. Encrypting: writes its 16-byte tag, true.
// Decrypting: whether the tag matches (false: the frame's bytes are not to be used).
Napi::Value GcmFinish(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto gcm = UnwrapGcm(info);
  auto tag = ViewBytes(env, info[1], "tag");
  if (tag.length != kGcmTagBytes) throw Napi::RangeError::New(env, "a GCM tag has 16 bytes");
  uint8_t rest[32];
  int out = 0;
  if (gcm->encrypt) {
    if (EVP_CipherFinal_ex(gcm->ctx, rest, &out) != 1) throw CryptoError(env, "finishing the frame");
    if (EVP_CIPHER_CTX_ctrl(gcm->ctx, EVP_CTRL_GCM_GET_TAG, kGcmTagBytes, tag.data) != 1) throw CryptoError(env, "reading the tag");
    return Napi::Boolean::New(env, true);
  }
  if (EVP_CIPHER_CTX_ctrl(gcm->ctx, EVP_CTRL_GCM_SET_TAG, kGcmTagBytes, tag.data) != 1) throw CryptoError(env, "setting the tag");
  return Napi::Boolean::New(env, EVP_CipherFinal_ex(gcm->ctx, rest, &out) == 1);
}

Napi::Value Unmap(const Napi::CallbackInfo& info) {
  auto m = info[0].As<Napi::External<Mapping>>().Data();
  if (m->base != nullptr) {
    munmap(m->base, m->size);
    m->base = nullptr;
  }
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("create", Napi::Function::New(env, Create));
  exports.Set("map", Napi::Function::New(env, Map));
  exports.Set("openReadOnly", Napi::Function::New(env, OpenReadOnly));
  exports.Set("mapRange", Napi::Function::New(env, MapRange));
  exports.Set("onViewReleased", Napi::Function::New(env, OnViewReleased));
  exports.Set("write", Napi::Function::New(env, Write));
  exports.Set("writeStreaming", Napi::Function::New(env, WriteStreaming));
  exports.Set("sharedView", Napi::Function::New(env, SharedView));
  exports.Set("unmap", Napi::Function::New(env, Unmap));
  exports.Set("reduce", Napi::Function::New(env, Reduce));
  exports.Set("gcmCreate", Napi::Function::New(env, GcmCreate));
  exports.Set("gcmStart", Napi::Function::New(env, GcmStart));
  exports.Set("gcmUpdate", Napi::Function::New(env, GcmUpdate));
  exports.Set("gcmUpdateMapped", Napi::Function::New(env, GcmUpdateMapped));
  exports.Set("gcmFinish", Napi::Function::New(env, GcmFinish));
  return exports;
}

}  // namespace

NODE_API_MODULE(lux_shm, Init)
