//! `GET /api/accounts/{id}/access-log` as its own Lambda function.
//! Serves the route whose `function` is this crate's name.

// Found at compile time: the binary holds only what this crate's name serves.
const FUNCTION: inbox_lambda::Function = inbox_lambda::function(env!("CARGO_PKG_NAME"));

fn main() -> Result<(), inbox_lambda::Error> {
    inbox_lambda::main(FUNCTION)
}
