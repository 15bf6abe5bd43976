"""A local replica of the CryoET Data Portal: GraphQL, file server, synthetic data."""
