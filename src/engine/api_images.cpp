// Engine API calls for the images operations of the wider runtime surface.
namespace ls::engine {}  // namespace ls::engine
