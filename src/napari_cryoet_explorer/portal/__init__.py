"""Qt-free client for the CryoET Data Portal's GraphQL API."""
