"""Root resolvers: the entry points of queries and mutations."""
