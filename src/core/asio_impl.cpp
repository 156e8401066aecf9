// The one translation unit that compiles Boost.Asio (BOOST_ASIO_SEPARATE_COMPILATION is set
// for every target through ls_core's public compile definitions).
#include <boost/asio/impl/src.hpp>
