let tick = 0;
console.log("worker started");
setInterval(() => console.log(`worker tick ${++tick}`), 500);
