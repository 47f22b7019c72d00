"""One module per object-store backend, each implementing homeport.data.store.Store."""
