'use strict';
// Stands in for ssh2 in the bundled driver. docker-modem loads ssh2 only to
// reach ssh:// engines, which this driver does not accept (see engine.ts);
// ssh2's optional native addons cannot be bundled.
class Client {
  constructor() {
    throw new Error('ssh:// Docker engines are not supported by the docker driver; use unix:// or tcp://');
  }
}
module.exports = { Client };
