// The server's icon (assets/icon.svg, a picture frame with its corners marked: an image measured to the pixel),
// inline so serverInfo carries it without a file or a URL to fetch. The bundle carries assets/icon.png.

export const SERVER_ICONS = [
  {
    src: "data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIHZpZXdCb3g9IjAgMCA2NCA2NCIgd2lkdGg9IjY0IiBoZWlnaHQ9IjY0IiByb2xlPSJpbWciIGFyaWEtbGFiZWw9InBpeGVsd3JpZ2h0Ij4KICA8dGl0bGU+cGl4ZWx3cmlnaHQ8L3RpdGxlPgogIDxyZWN0IHdpZHRoPSI2NCIgaGVpZ2h0PSI2NCIgcng9IjEyIiBmaWxsPSIjMWYyOTM3Ii8+CiAgPHJlY3QgeD0iMTAiIHk9IjE2IiB3aWR0aD0iNDQiIGhlaWdodD0iMzIiIHJ4PSIzIiBmaWxsPSJub25lIiBzdHJva2U9IiNmOWZhZmIiIHN0cm9rZS13aWR0aD0iMyIvPgogIDxwYXRoIGQ9Ik0xNCA0NCBMMjYgMzAgTDM0IDM4IEw0MCAzMiBMNTAgNDQgWiIgZmlsbD0iIzM4YmRmOCIvPgogIDxjaXJjbGUgY3g9IjQyIiBjeT0iMjQiIHI9IjQiIGZpbGw9IiNmYmJmMjQiLz4KICA8cGF0aCBkPSJNNiA2IGgxMCBNNiA2IHYxMCBNNTggNTggaC0xMCBNNTggNTggdi0xMCIgc3Ryb2tlPSIjMzhiZGY4IiBzdHJva2Utd2lkdGg9IjMiIHN0cm9rZS1saW5lY2FwPSJyb3VuZCIvPgo8L3N2Zz4K",
    mimeType: "image/svg+xml",
    sizes: ["any"],
  },
];
