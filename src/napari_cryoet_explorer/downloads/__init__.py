"""Downloads in the portal's layout (Qt-free): what to fetch, and fetching it."""
