// Imported first by every bench entry. This sandbox sets NODE_EXTRA_CA_CERTS for every process, and
// Node parses that bundle at each start (about 0.09 s of CPU here: `node -e 0` takes 0.13 s with it,
// 0.04 s without). A user's machine does not set it, and no measured tool needs it (certkeeper, lego
// and certbot are each given Pebble's CA), so every process the bench starts runs without it.
delete process.env.NODE_EXTRA_CA_CERTS;
