//! Echoes every message back. Run against a local server:
//! `cargo run -p msnp-client --example echo_bot -- 127.0.0.1:1863 bot@example.com password`
use msnp_client::{Client, ClientConfig, Conversation, ConversationEvent, Event};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, server, email, password] = args.as_slice() else {
        return Err("usage: echo_bot HOST:PORT EMAIL PASSWORD".into());
    };
    let mut bot = Client::login(ClientConfig::new(server), email, password).await?;
    while let Some(event) = bot.next_event().await {
        let Event::Invited(invitation) = event else { continue };
        let mut chat = Conversation::accept(&bot, &invitation).await?;
        tokio::spawn(async move {
            while let Some(event) = chat.next_event().await {
                if let ConversationEvent::Message { text, .. } = event
                    && chat.send(&text).await.is_err()
                {
                    break;
                }
            }
        });
    }
    Ok(())
}
