#include "photo_store.hpp"

#include <openssl/evp.h>

#include <fstream>
#include <memory>
#include <system_error>
#include <vector>

#include "patrol/wire/uuid.hpp"
#include "platform.hpp"

namespace patrol::sdk {
namespace {

struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const noexcept { EVP_MD_CTX_free(c); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

std::string to_hex(const unsigned char* p, unsigned n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s(static_cast<std::size_t>(n) * 2, '0');
  for (unsigned i = 0; i < n; ++i) {
    s[2 * i] = kHex[p[i] >> 4];
    s[2 * i + 1] = kHex[p[i] & 0xf];
  }
  return s;
}

}  // namespace

std::string sha256_hex(const void* data, std::size_t n) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_Digest(data, n, md, &len, EVP_sha256(), nullptr);
  return to_hex(md, len);
}

Result<StoredPhoto> store_photo(const std::filesystem::path& source,
                                const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return make_error(ErrorCode::storage, "create " + dir.string() + ": " + ec.message());
  std::ifstream in(source, std::ios::binary);
  if (!in) return make_error(ErrorCode::invalid_argument, "cannot read photo " + source.string());
  const auto tmp = dir / ("tmp-" + wire::make_uuid_v7());
  StoredPhoto out;
  {
    std::ofstream o(tmp, std::ios::binary | std::ios::trunc);
    if (!o) return make_error(ErrorCode::storage, "cannot write " + tmp.string(), true);
    MdCtx ctx(EVP_MD_CTX_new());
    if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1)
      return make_error(ErrorCode::internal, "sha256 init failed");
    std::vector<char> buf(64 * 1024);
    while (in) {
      in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
      const auto got = in.gcount();
      if (got <= 0) break;
      EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<std::size_t>(got));
      o.write(buf.data(), got);
      out.size += got;
    }
    if (in.bad()) {
      o.close();
      std::filesystem::remove(tmp, ec);
      return make_error(ErrorCode::invalid_argument, "error reading photo " + source.string());
    }
    o.flush();
    if (!o) {
      o.close();
      std::filesystem::remove(tmp, ec);
      return make_error(ErrorCode::storage, "error writing " + tmp.string(), true);
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    EVP_DigestFinal_ex(ctx.get(), md, &len);
    out.sha256 = to_hex(md, len);
  }
  if (auto st = platform::sync_file(tmp); !st) {
    std::filesystem::remove(tmp, ec);
    return std::move(st).error();
  }
  out.path = dir / out.sha256;
  std::filesystem::rename(tmp, out.path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    return make_error(ErrorCode::storage, "rename photo: " + ec.message(), true);
  }
  if (auto st = platform::sync_dir(dir); !st) return std::move(st).error();
  return out;
}

}  // namespace patrol::sdk
