// Engine API calls for the containers operations of the wider runtime surface.
namespace ls::engine {}  // namespace ls::engine
