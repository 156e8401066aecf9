// The one translation unit that compiles Boost.Beast (BOOST_BEAST_SEPARATE_COMPILATION is a
// public compile definition of ls_beast, linked by the engine client and the control server).
#include <boost/beast/src.hpp>
