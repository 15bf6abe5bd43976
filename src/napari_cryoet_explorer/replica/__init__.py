"""A local replica of the CryoET Data Portal: its entity store, GraphQL engine and server
(GraphQL and files on 127.0.0.1). The data it serves comes from :mod:`..synthetic`."""
