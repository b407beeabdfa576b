// Read a built site through the unmodified `statuspage.io` npm client and print what it got as JSON.
// Usage: node read-site.js http://127.0.0.1:PORT
"use strict";
const { Statuspage } = require("statuspage.io");

async function main() {
  const client = new Statuspage("unused-page-id");
  client.setApiUrl(process.argv[2]);  // the client's documented way to use another host
  const api = client.api;
  const result = {
    summary: await api.getSummary(),
    status: await api.getStatus(),
    components: await api.getComponents(),
    incidents: await api.incidents.getAll(),
    unresolved: await api.incidents.getUnresolved(),
    maintenances_upcoming: await api.scheduledMaintenances.getUpcoming(),
  };
  process.stdout.write(JSON.stringify(result));
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
