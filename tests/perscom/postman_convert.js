// Convert an OpenAPI document (file path in argv[2]) with openapi-to-postmanv2 and print
// every request of the resulting collection as JSON lines: {"method", "path"}.
const fs = require("fs");
const Converter = require("openapi-to-postmanv2");

const spec = fs.readFileSync(process.argv[2], "utf8");
Converter.convert({ type: "string", data: spec }, { folderStrategy: "Tags" }, (err, result) => {
  if (err || !result.result) {
    console.error(err ? String(err) : result.reason);
    process.exit(1);
  }
  const collection = result.output[0].data;
  const found = [];
  const walk = (items) => {
    for (const item of items) {
      if (item.item) {
        walk(item.item);
      } else {
        const path = "/" + item.request.url.path.join("/");
        found.push({ method: item.request.method, path, name: item.name });
      }
    }
  };
  walk(collection.item);
  process.stdout.write(JSON.stringify({ info: collection.info.name, requests: found }));
});
