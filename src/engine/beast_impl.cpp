// The one translation unit that compiles Boost.Beast (BOOST_BEAST_SEPARATE_COMPILATION is a
// public compile definition of ls_engine_codec).
#include <boost/beast/src.hpp>
