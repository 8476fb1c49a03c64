// Database connections for request threads: a connection is not shared between
// threads, so each request borrows one (read-only, unless the pool is made for
// the OTP throttle's shared buckets). The pool holds as many as were ever in use
// at once: about one per HTTP worker thread.
#ifndef TTE_MOTHERSHIP_READ_POOL_HPP
#define TTE_MOTHERSHIP_READ_POOL_HPP

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "store.hpp"

namespace tte::mothership {

class ReadPool {
 public:
  explicit ReadPool(std::string location, Store::Access access = Store::Access::read_only)
      : location_(std::move(location)), access_(access) {}

  class Lease {
   public:
    Lease(ReadPool& pool, std::unique_ptr<Store> store) : pool_(pool), store_(std::move(store)) {}
    ~Lease() {
      if (store_) pool_.give_back(std::move(store_));
    }
    Lease(Lease&& other) noexcept = default;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Store& operator*() { return *store_; }
    Store* operator->() { return store_.get(); }

   private:
    ReadPool& pool_;
    std::unique_ptr<Store> store_;
  };

  // A connection, opened on first use. Throws StartupError if the database cannot be opened.
  Lease acquire() {
    std::unique_ptr<Store> store;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!free_.empty()) {
        store = std::move(free_.back());
        free_.pop_back();
      }
    }
    if (!store) store = std::make_unique<Store>(location_, access_);
    return Lease(*this, std::move(store));
  }
  // The same for request paths, which never throw: nothing when the database
  // cannot be opened.
  std::optional<Lease> try_acquire() {
    try {
      return acquire();
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }

 private:
  void give_back(std::unique_ptr<Store> store) {
    std::lock_guard<std::mutex> lock(mutex_);
    free_.push_back(std::move(store));
  }

  std::string location_;
  Store::Access access_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Store>> free_;
};

}  // namespace tte::mothership

#endif  // TTE_MOTHERSHIP_READ_POOL_HPP
