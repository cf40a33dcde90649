#include "store/store.h"

namespace weft::store {

TxnOp TxnOp::put(std::string key, std::string value, LeaseId lease) {
  return TxnOp{Kind::put, std::move(key), std::move(value), lease};
}
TxnOp TxnOp::remove(std::string key) { return TxnOp{Kind::remove, std::move(key), {}, 0}; }
TxnOp TxnOp::get(std::string key) { return TxnOp{Kind::get, std::move(key), {}, 0}; }
TxnOp TxnOp::get_prefix(std::string prefix) {
  return TxnOp{Kind::get_prefix, std::move(prefix), {}, 0};
}
TxnOp TxnOp::remove_prefix(std::string prefix) {
  return TxnOp{Kind::remove_prefix, std::move(prefix), {}, 0};
}

}  // namespace weft::store
